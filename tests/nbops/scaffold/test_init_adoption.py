"""`nbops init` on projects set up the way teams have them: CRLF files, read-only files,
hooks of their own, several pipeline files, products named their own way (no build).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nbops.scaffold._init import init_project, plan_init

BIN = Path(sys.executable).parent
SCRIPT = '# %% tags=["parameters"]\nupstream = None\nproduct = None\n'


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return subprocess.run([str(BIN / "nbops"), "init", *args], cwd=root, capture_output=True,
                          text=True, env=env, timeout=120)


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def test_a_crlf_pipeline_keeps_every_byte_and_gets_crlf_lines(tmp_path) -> None:
    original = (b"# my pipeline\r\nmeta:\r\n  extract_upstream: false\r\n\r\n"
                b"tasks:\r\n  - source: a.py\r\n    product: out.ipynb\r\n")
    root = _write(tmp_path, {"pipeline.yaml": original, ".gitignore": b"data/\r\n"})
    init_project(root, lab=False)
    new = (root / "pipeline.yaml").read_bytes()
    assert b"\n" not in new.replace(b"\r\n", b"")  # every line ends CRLF
    kept = iter(new.split(b"\r\n"))
    assert all(any(line == other for other in kept) for line in original.split(b"\r\n"))
    assert yaml.safe_load(new)["on_finish"] == "nbops.hooks.on_finish"
    ignore = (root / ".gitignore").read_bytes()
    assert ignore.startswith(b"data/\r\n") and b"\n" not in ignore.replace(b"\r\n", b"")


def test_a_read_only_pipeline_is_one_sentence_and_nothing_is_written(tmp_path) -> None:
    root = _write(tmp_path, {"pipeline.yaml": "tasks: []\n"})
    (root / "pipeline.yaml").chmod(stat.S_IRUSR | stat.S_IRGRP)
    if os.access(root / "pipeline.yaml", os.W_OK):
        pytest.skip("running as a user who can write read-only files (root)")
    proc = _cli(root)
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "pipeline.yaml is read-only" in proc.stderr and "chmod u+w" in proc.stderr
    assert sorted(p.name for p in root.iterdir()) == ["pipeline.yaml"]


def test_a_read_only_pipeline_is_refused_even_for_root(tmp_path, monkeypatch, capsys) -> None:
    """os.access is what the check asks; as root (CI containers) it is made to say no."""
    from nbops.cli.main import main

    root = _write(tmp_path, {"pipeline.yaml": "tasks: []\n"})
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path).name
                        == "pipeline.yaml" and mode == os.W_OK else real(path, mode))
    with pytest.raises(SystemExit) as exit_:
        main(["init", "-C", str(root)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pipeline.yaml is read-only" in err and "nothing was changed" in err
    assert sorted(p.name for p in root.iterdir()) == ["pipeline.yaml"]


def test_the_projects_own_hooks_are_kept_and_called_by_nbops(tmp_path) -> None:
    root = _write(tmp_path, {"pipeline.yaml": (
        "on_render: mine.render   # checks the data is there\n"
        "on_failure:\n  dotted_path: mine.alert\n  channel: '#data'\n"
        "on_finish: {dotted_path: mine.done, quiet: true}\n"
        "tasks:\n  - source: a.py\n    product: out.ipynb\n    on_finish: mine.task_done\n")})
    init_project(root, lab=False)
    data = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert data["on_render"] == {"dotted_path": "nbops.hooks.on_render",
                                 "project_hook": "mine.render"}
    assert data["on_failure"] == {"dotted_path": "nbops.hooks.on_failure",
                                  "project_hook": {"dotted_path": "mine.alert",
                                                   "channel": "#data"}}
    assert data["on_finish"] == {"dotted_path": "nbops.hooks.on_finish",
                                 "project_hook": {"dotted_path": "mine.done", "quiet": True}}
    assert data["tasks"][0]["on_finish"] == "mine.task_done"
    assert "# checks the data is there" in (root / "pipeline.yaml").read_text()
    assert plan_init(root, lab=False) == []  # a second run changes nothing


def test_every_pipeline_file_beside_pipeline_yaml_gets_the_hooks(tmp_path) -> None:
    root = _write(tmp_path, {"pipeline.yaml": "tasks: []\n",
                             "pipeline.serve.yaml": "tasks: []\n"})
    init_project(root, lab=False)
    for name in ("pipeline.yaml", "pipeline.serve.yaml"):
        assert yaml.safe_load((root / name).read_text())["on_render"] == "nbops.hooks.on_render"


def test_the_packaged_layout_is_set_up_from_the_repository_root(tmp_path) -> None:
    root = _write(tmp_path, {"setup.py": "", "src/pkg/pipeline.yaml": "tasks: []\n"})
    proc = _cli(root)
    assert proc.returncode == 0, proc.stderr
    assert "nbops.hooks.on_finish" in (root / "src/pkg/pipeline.yaml").read_text()
    assert (root / "reports/README.md").is_file() and (root / ".gitignore").is_file()
    assert not (root / "src/pkg/reports").exists() and not (root / "src/pkg/.gitignore").exists()
    again = _cli(root / "src" / "pkg")  # from inside the package: the same project
    assert again.returncode == 0 and "nothing changed" in again.stdout


PRODUCTS = ("tasks:\n  - source: fit.py\n    product:\n      nb: out/fit.ipynb\n"
            "      model: out/model.pkl\n      rows: out/rows.csv\n")


def test_registry_on_products_named_otherwise_writes_nothing_false(tmp_path) -> None:
    root = _write(tmp_path, {"pipeline.yaml": PRODUCTS, "fit.py": SCRIPT,
                             "env.yaml": "seed: 1\n"})
    proc = _cli(root, "--registry")
    assert proc.returncode == 0, proc.stderr
    env_text = (root / "env.yaml").read_text()
    env = yaml.safe_load(env_text)
    assert env == {"seed": 1}  # nothing in force: every proposal is a comment
    for word in ("roc_auc >=", ".nbops/products", "model.skops", "train.parquet"):
        assert word not in env_text, word
    assert "model_file: FILL_IN" in env_text
    assert "out/model.pkl is a pickle" in proc.stdout
    assert "to do: registry.model_file" in proc.stdout
    pipeline = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert pipeline["on_render"] == "nbops.hooks.on_render"  # no {{registry}} to resolve


def test_registry_proposes_the_products_the_pipeline_has(tmp_path) -> None:
    root = _write(tmp_path, {"pipeline.yaml": (
        "tasks:\n  - source: fit.py\n    product:\n      nb: out/fit.ipynb\n"
        "      clf: out/clf.skops\n      a: out/train_rows.parquet\n"
        "      b: out/test_rows.parquet\n      s: out/feature_schema.json\n"),
        "fit.py": SCRIPT})
    plan = plan_init(root, registry=True, lab=False)
    assert not (root / "env.yaml").exists() and all(w.path.name != "env.yaml" for w in plan)
    assert any("primary_metric" in note and "not been built" in note for note in plan.notes)
    assert any("no env.yaml written" in note for note in plan.notes)
    (root / "env.yaml").write_text("seed: 1\n")
    init_project(root, registry=True, lab=False)
    text = (root / "env.yaml").read_text()
    for line in ("#   model_file: out/clf.skops", "#   train_data: out/train_rows.parquet",
                 "#   test_data: out/test_rows.parquet",
                 "#   feature_schema: out/feature_schema.json"):
        assert line in text
    assert yaml.safe_load(text) == {"seed": 1}
    again = plan_init(root, registry=True, lab=False)
    assert again.notes and again == []  # a re-run says what is missing, writes nothing new
    (root / "env.yaml").write_text(text.replace("clf.skops", "old.skops"))
    init_project(root, registry=True, lab=False)
    assert (root / "env.yaml").read_text() == text  # an outdated proposal is replaced


def test_other_commands_find_the_packaged_project_from_its_root(tmp_path) -> None:
    from nbops.cli._lab import lab_config_path
    from nbops.scaffold import write_ci
    from nbops.validation._config_files import check_project

    root = _write(tmp_path, {"setup.py": "", "src/pkg/pipeline.yaml": (
        "tasks:\n  - source: src/pkg/fit.py\n    product: out/fit.ipynb\n"),
        "src/pkg/fit.py": SCRIPT})
    init_project(root)
    checked = check_project(root)
    assert checked.pipeline == root / "src/pkg/pipeline.yaml" and checked.tasks == ["fit"]
    assert str(root / ".jupyter") in lab_config_path(root / "src" / "pkg")
    assert write_ci(root, "github") is not None
