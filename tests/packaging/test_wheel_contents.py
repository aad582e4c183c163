"""The library's sdist and wheel (`uv build`: the sdist, then the wheel from it): compatible
ranges, the framework only, and no start-up code for other programs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import warnings
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_dependencies_are_ranges_never_exact_pins() -> None:
    project = PYPROJECT["project"]
    runtime = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra != "dev":  # dev tools are the repository's, never a user's
            runtime += requirements
    pinned = [r for r in runtime if "==" in r]
    assert not pinned, f"exact pins in the wheel's dependencies: {pinned}"
    assert all(">=" in r for r in runtime), "every dependency has a tested lower bound"


def test_lower_bounds_are_the_locked_versions_or_lower() -> None:
    locked = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith(" "):
            name, _, version = line.partition("==")
            locked[name.strip().lower().replace("_", "-").replace(".", "-")] = version.strip()
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = _name(requirement).replace("_", "-").replace(".", "-")
        low = re.search(r">=([0-9][^,; ]*)", requirement)
        assert low and name in locked, requirement
        as_tuple = [tuple(int(p) for p in re.findall(r"\d+", v)) for v in (low[1], locked[name])]
        assert as_tuple[0] <= as_tuple[1], f"{requirement} but the lock tests {locked[name]}"


def test_python_range_and_dask_is_an_extra() -> None:
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    base = {_name(r) for r in project["dependencies"]}
    assert not base & {"dask", "distributed"}
    assert {_name(r) for r in project["optional-dependencies"]["dask"]} == {"dask", "distributed"}


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    return dist["wheel"]


@pytest.mark.slow
def test_the_sdist_holds_the_sources_the_wheel_is_built_from(dist) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "src/nbops/__init__.py",
            "src/nbops/scaffold/new/pipeline.yaml"} <= names
    assert not [n for n in names if n.startswith(("src/churn", "tests/", "notebooks/"))]


@pytest.mark.slow
def test_the_wheel_runs_nothing_at_start_up(wheel) -> None:
    """No .pth file: a wheel's .pth runs in every Python process of the user's environment
    (the opt-in start-up hooks are written by `nbops init --speedups`)."""
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith(".pth")]
    assert not [n for n in names if n.split("/")[-1] in {"sitecustomize.py", "usercustomize.py"}]


@pytest.mark.slow
def test_the_wheel_holds_nbops_only(wheel) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    stem = wheel.name.split("-py3")[0]
    # .data: the JupyterLab extension and its server config (test_the_wheel_ships_the_lab_panel)
    assert top == {"nbops", stem + ".dist-info", stem + ".data"}
    assert not [n for n in names if n.startswith("churn")]
    # the project template and CI workflows travel with it (package data)
    assert {"nbops/scaffold/new/pipeline.yaml", "nbops/scaffold/new/notebooks/train.py",
            "nbops/scaffold/files/ci/github.yml",
            "nbops/scaffold/files/jupyter/labconfig/default_setting_overrides.json"} <= set(names)
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Python: <3.14,>=3.11" in metadata
    assert "Provides-Extra: dask" in metadata
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata, re.M)
    assert requires and not [r for r in requires
                             if "==" in r.split(";")[0] and "extra == 'dev'" not in r]


@pytest.mark.slow
def test_the_wheel_ships_the_lab_panel_prebuilt(wheel) -> None:
    """The panel needs no Node.js: its built bundle lands in share/jupyter/labextensions and the
    server extension is enabled by a config file in etc/jupyter (installed by pip with the
    wheel's .data); the bundle is not also copied into the nbops package."""
    names = set(zipfile.ZipFile(wheel).namelist())
    data = wheel.name.split("-py3")[0] + ".data/data/"
    labext = data + "share/jupyter/labextensions/nbops-lab/"
    assert labext + "package.json" in names
    assert [n for n in names if n.startswith(labext + "static/remoteEntry.")]
    config = zipfile.ZipFile(wheel).read(data + "etc/jupyter/jupyter_server_config.d/nbops.json")
    assert json.loads(config) == {"ServerApp": {"jpserver_extensions": {"nbops.lab": True}}}
    assert not [n for n in names if n.startswith("nbops/lab/labextension/")]
    built = json.loads(zipfile.ZipFile(wheel).read(labext + "package.json"))
    assert built["name"] == "nbops-lab" and built["jupyterlab"]["_build"]["load"]


def test_the_lab_panel_asks_for_no_newer_jupyterlab_than_nbops_allows() -> None:
    """The bundle's JupyterLab packages are declared twice, as dependencies (what `jupyter
    labextension list` checks) and as the shared modules' requiredVersion (what the page
    checks; the builder would write the .venv's JupyterLab there): the same ranges, starting
    at pyproject.toml's jupyterlab floor."""
    built = json.loads((ROOT / "src/nbops/lab/labextension/package.json").read_text("utf-8"))
    shared = {name: spec["requiredVersion"]
              for name, spec in built["jupyterlab"]["sharedPackages"].items()}
    assert shared == built["dependencies"]
    floor = next(r for r in PYPROJECT["project"]["dependencies"] if _name(r) == "jupyterlab")
    assert built["dependencies"]["@jupyterlab/application"] == "^" + floor.split(">=")[1]


def test_the_committed_bundle_is_built_from_the_current_sources() -> None:
    """Edit labextension/ and forget `make labextension`: this fails (the bundle is what ships)."""
    check = subprocess.run(["bash", str(ROOT / ".ci" / "build-labextension"), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_dask_executor_without_dask_says_which_extra(monkeypatch) -> None:
    from nbops.core._errors import ConfigError

    with warnings.catch_warnings():  # ploomber 0.23 warns about pydantic v1 style at import
        warnings.simplefilter("ignore")
        from nbops.engine.dask_executor import DaskExecutor

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"nbops\[dask\]"):
        DaskExecutor()(dag={})


@pytest.mark.slow
def test_nbops_resolves_beside_a_current_mlflow(tmp_path) -> None:
    """A team's stack is more than nbops: with the old floors (pyarrow>=26) only MLflow 1.27
    (2022) could be installed beside nbops."""
    uv = Path(sys.executable).with_name("uv")
    (tmp_path / "team.in").write_text("mlflow>=3\n")
    done = subprocess.run([str(uv), "pip", "compile", "--quiet", "--python-version", "3.11",
                           str(ROOT / "pyproject.toml"), str(tmp_path / "team.in")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^mlflow==[3-9]", done.stdout, re.M), done.stdout


def test_a_two_year_old_data_stack_is_allowed() -> None:
    """The floors a team's own code most often pins (test_lowest_versions.py tests them)."""
    floors = {_name(r): re.search(r">=([0-9.]+)", r)[1]
              for r in PYPROJECT["project"]["dependencies"]}
    old_stack = {"pandas": "2.2.0", "numpy": "1.26.0", "scikit-learn": "1.4.0", "pyarrow": "15.0.0",
                 "scipy": "1.12.0", "matplotlib": "3.8.0", "ipykernel": "6.29.0"}
    too_new = {name: floors[name] for name, old in old_stack.items()
               if tuple(map(int, floors[name].split("."))) > tuple(map(int, old.split(".")))}
    assert not too_new, f"a stack from early 2024 cannot install nbops: {too_new}"
