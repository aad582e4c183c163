"""The .pth start-up hooks: one line each, and each one really does its job when
an interpreter starts with them."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from nbops.runtime.startup_hooks import HOOKS, install_all, remove_all


def test_every_hook_is_one_line(tmp_path: Path) -> None:
    written = install_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(HOOKS)
    for path in written:
        assert path.read_text().count("\n") == 1


def test_hooks_take_effect_in_a_fresh_interpreter(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_all(site)
    # -S: no site-packages processing, so only the hooks written here run; the
    # environment's packages and nbops' sources are put on the path without their .pth
    purelib = sysconfig.get_paths()["purelib"]
    src = Path(__file__).resolve().parents[3] / "src"
    probe = (
        f"import sys; sys.path[:0] = [{str(src)!r}, {purelib!r}]; "
        "import site, os; site.addsitedir(sys.argv[1]); "
        "from nbops.runtime.lazy_grammar import LazyGrammarFinder; "
        "import ploomber.env.envdict as e; "
        "print(os.environ.get('PLOOMBER_STATS_ENABLED'), "
        "any(isinstance(f, LazyGrammarFinder) for f in sys.meta_path), "
        "getattr(e.load_from_source, '_nbops_checked', False))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLOOMBER_")}
    done = subprocess.run([sys.executable, "-S", "-c", probe, str(site)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["false", "True", "True"]


def test_remove_all_deletes_only_the_hooks(tmp_path: Path) -> None:
    (tmp_path / "other.pth").write_text("import os\n")
    install_all(tmp_path)
    assert sorted(p.name for p in remove_all(tmp_path)) == sorted(HOOKS)
    assert [p.name for p in tmp_path.iterdir()] == ["other.pth"]
    assert remove_all(tmp_path) == []  # a second removal changes nothing


def test_a_hook_line_written_before_the_runtime_package_still_installs(tmp_path) -> None:
    import subprocess
    import sys

    old = ("import importlib.util as _u; _u.find_spec('nbops') and "
           "__import__('nbops.engine.lazy_grammar').engine.lazy_grammar.install()\n")
    (tmp_path / "old_hook.pth").write_text(old)
    code = ("import site, sys; site.addsitedir(sys.argv[1]); "
            "from nbops.runtime.lazy_grammar import LazyGrammarFinder; "
            "print(any(isinstance(f, LazyGrammarFinder) for f in sys.meta_path))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert done.stderr == "" and done.stdout.strip() == "True"
