"""nbops finds a project's root and pipeline exactly as Ploomber 0.23 does.

Each layout is built in a temporary folder and asked of both: nbops' own rules
(:mod:`nbops.core._pipeline_location`, written again to spare every command Ploomber's
import) and Ploomber's ``entry_point``/``find_root_recursively``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import pytest

from nbops.core import ConfigError, find_project, locate_pipeline, pipeline_files

LAYOUTS: dict[str, dict[str, str]] = {
    "simple": {"pipeline.yaml": "tasks: []\n", "notebooks/a.py": ""},
    "packaged": {"setup.py": "", "src/pkg/pipeline.yaml": "tasks: []\n",
                 "src/pkg/pipeline.serve.yaml": "tasks: []\n", "src/pkg/scripts/a.py": ""},
    "setup_cfg": {"setup.cfg": "[ploomber]\nentry-point = conf/pipeline.yaml\n",
                  "conf/pipeline.yaml": "tasks: []\n", "notebooks/a.py": ""},
    "nested_in_a_package_repo": {"setup.py": "", "src/pkg/pipeline.yaml": "tasks: []\n",
                                 "analysis/pipeline.yaml": "tasks: []\n"},
}
STARTS = {
    "simple": ["", "notebooks"],
    "packaged": ["", "src/pkg", "src/pkg/scripts"],
    "setup_cfg": ["", "notebooks"],
    "nested_in_a_package_repo": ["", "analysis"],
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _ploomber(start: Path) -> tuple[Path, Path]:
    with contextlib.chdir(start), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ploomber's import warns (pydantic 1-style models)
        from ploomber.util import default

        entry = Path(default.entry_point()).resolve()
        cfg = default.try_to_load_cfg_recursively()
        root = (Path(default.find_file_recursively("setup.cfg")[0]).parent
                if cfg and cfg["ploomber"].get("entry-point")
                else Path(default.find_root_recursively()))
    return root.resolve(), entry


@pytest.mark.parametrize("layout, start", [(k, s) for k, v in STARTS.items() for s in v])
def test_root_and_pipeline_are_ploombers(tmp_path, layout, start, monkeypatch) -> None:
    monkeypatch.delenv("ENTRY_POINT", raising=False)
    root = tmp_path / layout
    _write(root, LAYOUTS[layout])
    located = locate_pipeline(root / start)
    assert located is not None
    assert (located.root, located.pipeline) == _ploomber(root / start)
    assert find_project(root / start).root == located.root


def test_the_packaged_layout_is_rooted_at_setup_py_with_its_sibling_pipelines(tmp_path) -> None:
    _write(tmp_path, LAYOUTS["packaged"])
    located = locate_pipeline(tmp_path / "src" / "pkg")
    assert located is not None and located.root == tmp_path
    assert find_project(tmp_path / "src" / "pkg").reports_dir == tmp_path / "reports"
    assert [p.name for p in pipeline_files(located)] == ["pipeline.yaml", "pipeline.serve.yaml"]


def test_entry_point_variable_names_the_pipeline_file(tmp_path, monkeypatch) -> None:
    _write(tmp_path, {"pipeline.yaml": "tasks: []\n", "pipeline.train.yaml": "tasks: []\n"})
    monkeypatch.setenv("ENTRY_POINT", "pipeline.train.yaml")
    located = locate_pipeline(tmp_path)
    assert located is not None and located.pipeline == tmp_path / "pipeline.train.yaml"
    assert _ploomber(tmp_path)[1] == located.pipeline


def test_a_dotted_entry_point_is_a_factory_rooted_at_the_working_folder(tmp_path) -> None:
    _write(tmp_path, {"setup.py": "", "src/pkg/__init__.py": ""})
    located = locate_pipeline(tmp_path, "pkg.pipeline.make")
    assert located is not None
    assert (located.root, located.pipeline, located.dotted_path) == (
        tmp_path, None, "pkg.pipeline.make")


def test_a_src_pipeline_without_setup_py_is_no_project_for_either(tmp_path) -> None:
    _write(tmp_path, {"src/pkg/pipeline.yaml": "tasks: []\n"})
    assert locate_pipeline(tmp_path / "src" / "pkg") is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ploomber.exceptions import DAGSpecInvalidError

    with contextlib.chdir(tmp_path / "src" / "pkg"), pytest.raises(DAGSpecInvalidError):
        _ploomber(tmp_path / "src" / "pkg")
    with pytest.raises(ConfigError, match="setup.py"):
        find_project(tmp_path / "src" / "pkg")


def test_a_setup_cfg_naming_a_missing_file_is_one_sentence(tmp_path) -> None:
    _write(tmp_path, {"setup.cfg": "[ploomber]\nentry-point = nowhere.yaml\n"})
    with pytest.raises(ConfigError, match="nowhere.yaml, which does not exist"):
        locate_pipeline(tmp_path)
    assert os.listdir(tmp_path) == ["setup.cfg"]
