"""The wheel, installed as a user would: a fresh virtual environment per supported Python,
outside the repository, then `nbops new demo && cd demo && ploomber build`.

Interpreters are looked up on PATH, then under ~/.pyenv/versions; each candidate must
really run (a pyenv shim that refuses does not count). A missing version is reported
as skipped, never passed. uv makes the environments (its cache makes a re-install a
matter of links); the build is the project template's real four-notebook pipeline.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")
VERSIONS = ("3.11", "3.12", "3.13")
SAY_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


def find_python(version: str) -> str | None:
    """A working interpreter of ``version`` (``3.12``), or None."""
    candidates = [shutil.which(f"python{version}")]
    pattern = os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")
    candidates += sorted(glob.glob(pattern), reverse=True)
    if sys.version_info[:2] == tuple(int(p) for p in version.split(".")):
        candidates.insert(0, getattr(sys, "_base_executable", sys.executable))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = subprocess.run([candidate, "-c", SAY_VERSION], capture_output=True, text=True,
                                 timeout=30)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    return None


def user_environment(venv: Path) -> dict[str, str]:
    """A shell with only the new environment on PATH: nothing of the repository's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NBOPS_", "VIRTUAL_ENV", "PYTHON", "UV_", "JUPYTER"))}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(UV), "build", "--wheel", "--quiet", "-o", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=300)
    (path,) = out.glob("nbops-*.whl")
    return path


@pytest.mark.parametrize("version", VERSIONS)
def test_wheel_installs_and_a_new_project_builds(version, wheel, tmp_path, record_property):
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (not on PATH, not under ~/.pyenv)")
    assert not tmp_path.resolve().is_relative_to(ROOT)
    started = time.monotonic()
    venv = tmp_path / "venv"
    subprocess.run([str(UV), "venv", "--quiet", "--python", python, str(venv)], check=True,
                   capture_output=True, text=True, timeout=300)
    install = subprocess.run([str(UV), "pip", "install", "--quiet", "--python",
                              str(venv / "bin" / "python"), str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    installed = time.monotonic()
    env = user_environment(venv)

    def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=900)

    # the reference project is the repository's example, never part of the library
    no_churn = run("python", "-c", "import churn", cwd=tmp_path)
    assert no_churn.returncode != 0 and "No module named 'churn'" in no_churn.stderr
    new = run("nbops", "new", "demo", cwd=tmp_path)
    assert new.returncode == 0, new.stderr
    project = tmp_path / "demo"
    build = run("ploomber", "build", cwd=project)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    built = time.monotonic()

    shown = run("nbops", "show", "latest", "--json", cwd=project)
    assert shown.returncode == 0, shown.stderr
    manifest = json.loads(shown.stdout)
    assert manifest["status"] == "succeeded"
    assert manifest["provenance"]["python"].startswith(version)
    assert {t["status"] for t in manifest["tasks"].values()} == {"executed"}
    assert manifest["gates"]["verdict"] == "passed"
    assert {r["name"] for r in manifest["gates"]["results"]} >= {"min_roc_auc", "calibrated"}
    assert manifest["registry"]["model"] == "demo" and manifest["registry"]["version"] == 1
    assert (project / "reports" / "index.html").is_file()
    assert (project / "reports" / "runs" / manifest["run_id"] / "index.html").is_file()
    record_property("install_s", round(installed - started, 1))
    record_property("build_s", round(built - installed, 1))
    sys.stderr.write(f"\nwheel on Python {version}: venv+install {installed - started:.1f} s, "
                     f"new+build {built - installed:.1f} s\n")
