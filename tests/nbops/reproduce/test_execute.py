"""The scratch build's environment: isolated from the project, faithful to the run."""

from __future__ import annotations

from pathlib import Path

from nbops.core._secrets import REDACTED
from nbops.reproduce._execute import child_environment, package_path


def test_run_variables_are_dropped_and_recorded_ones_restored(tmp_path: Path) -> None:
    base = {
        "NBOPS_RUN_ID": "r",
        "NBOPS_PROJECT_ROOT": "/work/main",
        "OMP_NUM_THREADS": "8",
        "PYTHONPATH": "/other",
        "HOME": "/root",
    }
    env = child_environment(
        {"PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": REDACTED}, tmp_path, base
    )
    assert "NBOPS_RUN_ID" not in env and "NBOPS_PROJECT_ROOT" not in env
    assert "OMP_NUM_THREADS" not in env  # unset at run time, so unset now
    assert env["PYTHONHASHSEED"] == "0"
    assert "CUDA_VISIBLE_DEVICES" not in env
    assert env["PYTHONPATH"] == f"{tmp_path}:/other"
    assert env["HOME"] == "/root" and env["PLOOMBER_STATS_ENABLED"] == "false"
    assert env["NBOPS_REPRODUCTION"] == "unknown"  # hooks skip post-close steps


def test_checkout_packages_shadow_installed_ones_except_nbops(tmp_path: Path) -> None:
    src = tmp_path / "checkout" / "src"
    for name in ("churn", "nbops", "mylib.egg-info", "__pycache__"):
        (src / name).mkdir(parents=True)
    (src / "helpers.py").write_text("X = 1\n")
    shim = package_path(tmp_path / "checkout", tmp_path / "shim")
    assert shim is not None
    assert sorted(p.name for p in shim.iterdir()) == ["churn", "helpers.py"]
    assert (shim / "churn").resolve() == (src / "churn").resolve()
    assert package_path(tmp_path / "nosrc", tmp_path / "shim2") is None
