"""Compiled report templates are kept between processes, and a broken cache costs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nbops.reports._template_cache import CACHE_DIR_ENV, bytecode_cache


def _compiles(tmp_path: Path, cache: str) -> int:
    """How many templates a fresh process compiles to render one macro of the pages."""
    code = ("import jinja2.environment as e\n"
            "count = [0]; real = e.Environment.compile\n"
            "def counting(self, *a, **k):\n"
            "    count[0] += 1; return real(self, *a, **k)\n"
            "e.Environment.compile = counting\n"
            "from nbops.reports._templates_env import macro\n"
            "macro('notebook_bar.html.j2', 'bar')\n"
            "print(count[0])\n")
    env = {"PATH": "/usr/bin:/bin", CACHE_DIR_ENV: cache, "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


def test_a_second_process_loads_compiled_templates(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _compiles(tmp_path, str(cache)) >= 1
    assert list(cache.rglob("*.cache"))
    assert _compiles(tmp_path, str(cache)) == 0


def test_caching_can_be_turned_off(tmp_path: Path) -> None:
    assert _compiles(tmp_path, "") >= 1
    assert _compiles(tmp_path, "") >= 1


def test_a_damaged_or_unwritable_cache_still_renders(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    _compiles(tmp_path, str(cache))
    for entry in cache.rglob("*.cache"):
        entry.write_bytes(b"j2 damaged")
    assert _compiles(tmp_path, str(cache)) >= 1  # compiled again, no error
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))
    assert bytecode_cache("pages") is None


def test_an_inline_template_is_compiled_once_per_process(monkeypatch) -> None:
    import jinja2.environment as jinja_environment

    from nbops.reports._templates_env import render_string

    compiled = []
    real = jinja_environment.Environment.compile

    def counting(self, source, *args, **kwargs):
        compiled.append(source)
        return real(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja_environment.Environment, "compile", counting)
    source = "<h1>{{ name }} is {{ state }}</h1><!-- test_an_inline_template -->"
    first = render_string(source, name="<run>", state="running")
    second = render_string(source, name="r2", state="closing")

    assert first == "<h1>&lt;run&gt; is running</h1><!-- test_an_inline_template -->"
    assert second == "<h1>r2 is closing</h1><!-- test_an_inline_template -->"
    assert compiled.count(source) == 1
