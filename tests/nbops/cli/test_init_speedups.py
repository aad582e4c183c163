"""``nbops init --speedups`` / ``--remove-speedups``: the start-up hooks, written into and
deleted from the environment's site-packages (here a temporary folder standing in for it;
tests/packaging/test_wheel_install.py does it in a real environment and sees them work)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbops.cli._scaffold import init_command
from nbops.runtime import startup_hooks

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ploomber_notebooks"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.setattr(startup_hooks, "site_packages", lambda: folder)
    return folder


def test_speedups_are_written_with_init_and_removed_alone(tmp_path: Path, site: Path) -> None:
    project = shutil.copytree(FIXTURE, tmp_path / "project")
    runner = CliRunner()
    on = runner.invoke(init_command, ["-C", str(project), "--speedups"])
    assert on.exit_code == 0, on.output
    assert sorted(p.name for p in site.iterdir()) == sorted(startup_hooks.HOOKS)
    assert "nbops.hooks.on_render" in (project / "pipeline.yaml").read_text()
    assert "remove: nbops init --remove-speedups" in on.output

    pipeline = (project / "pipeline.yaml").read_text()
    off = runner.invoke(init_command, ["-C", str(project), "--remove-speedups"])
    assert off.exit_code == 0, off.output
    assert list(site.iterdir()) == []
    assert off.output.count("removed ") == len(startup_hooks.HOOKS)
    assert (project / "pipeline.yaml").read_text() == pipeline  # nothing else changed
    again = runner.invoke(init_command, ["--remove-speedups"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_both_options_at_once_are_refused(site: Path) -> None:
    result = CliRunner().invoke(init_command, ["--speedups", "--remove-speedups"])
    assert result.exit_code == 2 and "choose one" in result.output
    assert list(site.iterdir()) == []
