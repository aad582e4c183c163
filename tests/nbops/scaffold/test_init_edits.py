"""`nbops init`'s edits and refusals, without a build: fast checks of every branch."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nbops.core._errors import ConfigError
from nbops.scaffold._init import init_project, plan_init

BIN = Path(sys.executable).parent
FUNCTIONS = Path(__file__).parents[2] / "fixtures" / "ploomber_functions" / "pipeline.yaml"


def _project(tmp_path: Path, pipeline: str, **files: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir(parents=True)
    (root / "pipeline.yaml").write_text(pipeline)
    for name, text in files.items():
        (root / name.replace("__", "/")).parent.mkdir(parents=True, exist_ok=True)
        (root / name.replace("__", "/")).write_text(text)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return subprocess.run([str(BIN / "nbops"), "init", *args], cwd=root, capture_output=True,
                          text=True, env=env, timeout=60)


def test_empty_folder_is_refused_with_the_fix_in_one_sentence(tmp_path) -> None:
    proc = _cli(tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no pipeline.yaml" in lines[0] and "nbops new NAME" in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, words", [
    ("tasks:\n  - source: a.py\n    product: [unclosed\n", "not valid YAML at line"),
    ("- source: a.py\n  product: out.ipynb\n", "is a list"),
    ("meta: {}\n", "without a 'tasks:' list"),
])
def test_malformed_or_taken_pipeline_is_refused_and_nothing_is_written(tmp_path, text,
                                                                      words) -> None:
    root = _project(tmp_path, text, **{".gitignore": "data/\n"})
    before = _files(root)
    proc = _cli(root)
    assert proc.returncode == 1
    assert words in proc.stderr and "Fix:" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert _files(root) == before


def test_hooks_land_before_tasks_and_its_comment_and_keep_every_byte(tmp_path) -> None:
    root = _project(tmp_path, FUNCTIONS.read_text())
    init_project(root, lab=False)
    text = (root / "pipeline.yaml").read_text()
    original = FUNCTIONS.read_text()
    # the user's lines are unchanged and in order; the hooks sit above `tasks:`
    diff = list(difflib.ndiff(original.splitlines(), text.splitlines()))
    assert not [d for d in diff if d.startswith("- ")]
    added = [d[2:] for d in diff if d.startswith("+ ")]
    assert all(not a or a.startswith(("#", "on_")) for a in added), added
    assert text.index("on_failure: nbops.hooks.on_failure") < text.index("tasks:")
    assert "    extract_upstream: false   # dependencies are declared below" in text
    data = yaml.safe_load(text)
    assert data["on_render"] == "nbops.hooks.on_render"
    assert data["tasks"] == yaml.safe_load(original)["tasks"]


def test_registry_flag_later_upgrades_the_existing_hook(tmp_path) -> None:
    root = _project(tmp_path, "tasks: []\non_render: nbops.hooks.on_render  # ours\n"
                    "on_finish: nbops.hooks.on_finish\non_failure: nbops.hooks.on_failure\n",
                    **{"env.yaml": "# my parameters\nrows: 10  # small\n"
                                   "gates: {}\nregistry: {model: mine}\n"})
    init_project(root, registry=True, lab=False)
    data = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert data["on_render"] == {"dotted_path": "nbops.hooks.on_render",
                                 "gates": "{{gates}}", "registry": "{{registry}}"}
    assert (root / "env.yaml").read_text().startswith("# my parameters\nrows: 10  # small\n")
    assert plan_init(root, registry=True, lab=False) == []


def test_block_on_render_mapping_gets_the_missing_arguments(tmp_path) -> None:
    root = _project(tmp_path, "on_render:\n    dotted_path: nbops.hooks.on_render\n"
                    "    reproduce: '{{reproduce}}'\non_finish: nbops.hooks.on_finish\n"
                    "on_failure: nbops.hooks.on_failure\ntasks: []\n",
                    **{"env.yaml": "gates: {}\nregistry: {}\n"})
    init_project(root, registry=True, lab=False)
    data = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert data["on_render"] == {"dotted_path": "nbops.hooks.on_render",
                                 "reproduce": "{{reproduce}}", "gates": "{{gates}}",
                                 "registry": "{{registry}}"}
    assert (root / "env.yaml").read_text() == "gates: {}\nregistry: {}\n"


def test_executor_flag_replaces_another_executor_and_says_so(tmp_path) -> None:
    root = _project(tmp_path, "executor: parallel\ntasks: []\n")
    (write, *_), = [[w for w in plan_init(root, executor=True, lab=False)
                     if w.path.name == "pipeline.yaml"]]
    assert "was 'parallel'" in write.description
    init_project(root, executor=True, lab=False)
    data = yaml.safe_load((root / "pipeline.yaml").read_text())
    assert data["executor"]["dotted_path"] == "nbops.engine.executor.NbopsExecutor"


def test_gitignore_and_lab_settings_keep_what_was_there(tmp_path) -> None:
    root = _project(tmp_path, "tasks: []\n", **{
        ".gitignore": "output/\nreports/*\n",
        ".jupyter__labconfig__default_setting_overrides.json":
            '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": '
            '"Jupytext Notebook"}}, "other:plugin": {"x": 1}}'})
    init_project(root)
    ignore = (root / ".gitignore").read_text().splitlines()
    assert ignore[:2] == ["output/", "reports/*"] and ignore.count("reports/*") == 1
    import json

    settings = json.loads((root / ".jupyter/labconfig/default_setting_overrides.json").read_text())
    assert settings["other:plugin"] == {"x": 1}
    assert settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"] == {
        "markdown": "Jupytext Notebook", "python": "Jupytext Notebook"}


def test_malformed_lab_settings_are_refused_before_anything_is_written(tmp_path) -> None:
    root = _project(tmp_path, "tasks: []\n",
                    **{".jupyter__labconfig__default_setting_overrides.json": "{oops"})
    with pytest.raises(ConfigError, match="not valid JSON"):
        init_project(root)
    assert not (root / ".gitignore").exists()


def test_an_init_killed_midway_completes_on_the_next_run(tmp_path) -> None:
    root = _project(tmp_path, FUNCTIONS.read_text())
    reference = _project(tmp_path / "ref", FUNCTIONS.read_text())
    init_project(reference)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    killed = subprocess.run([str(BIN / "nbops"), "init"], cwd=root, capture_output=True,
                            text=True, env={**env, "NBOPS_CRASH_AT": "init.file_written#2"},
                            timeout=60)
    assert killed.returncode == -9
    assert (root / "pipeline.yaml").read_text() == (reference / "pipeline.yaml").read_text()
    assert not (root / "reports").exists()
    assert _cli(root).returncode == 0
    assert _files(root) == _files(reference)
