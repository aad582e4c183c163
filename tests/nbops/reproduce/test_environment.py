"""Environment comparison: packages, interpreter, and the dependency lock."""

from __future__ import annotations

from pathlib import Path

from nbops.core._hashing import hash_bytes
from nbops.reproduce._environment import (
    compare_environment,
    installed_packages,
    package_differences,
)
from nbops.runs import _provenance as provenance


def test_every_added_removed_and_changed_package_is_listed_by_normalised_name() -> None:
    recorded = {"numpy": "2.4.6", "Jupyter_Client": "8.10.0", "gone": "1.0", "same": "1"}
    now = {"numpy": "2.4.7", "jupyter-client": "8.10.0", "new.pkg": "0.1", "same": "1"}
    diffs = package_differences(recorded, now)
    assert [(d.name, d.recorded, d.current) for d in diffs] == [
        ("gone", "1.0", None),
        ("new-pkg", None, "0.1"),
        ("numpy", "2.4.6", "2.4.7"),
    ]
    assert diffs[2].describe() == "numpy: 2.4.6 at run time, now 2.4.7"
    assert "now missing" in diffs[0].describe()


def _provenance(root: Path) -> dict:
    python, platform_name = provenance.interpreter()
    return {
        "packages": provenance.installed_packages(),
        "python": python,
        "platform": platform_name,
        "lock_hash": provenance.lock_hash(root),
    }


def test_same_interpreter_and_lock_is_identical(tmp_path: Path) -> None:
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n")
    report = compare_environment(_provenance(tmp_path), tmp_path, tmp_path)
    assert report.identical
    assert report.lock.matches
    assert "matches" in report.lock.describe()
    assert "requirements.lock" in report.lock.describe()


def test_a_changed_package_python_and_lock_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "requirements.lock").write_text("numpy==2.4.6\n")
    recorded = _provenance(tmp_path)
    recorded["packages"] = {**recorded["packages"], "numpy": "1.0.0"}
    recorded["python"] = "3.10.0"
    (tmp_path / "requirements.lock").write_text("numpy==2.4.7\n")
    report = compare_environment(recorded, tmp_path)
    kinds = {(d.kind, d.name) for d in report.differences}
    assert ("package", "numpy") in kinds
    assert ("python", "python") in kinds
    assert not report.identical
    assert not report.lock.matches
    assert report.lock.current_hash == hash_bytes(b"numpy==2.4.7\n")
    assert "differs" in report.lock.describe()
    data = report.to_dict()
    assert data["lock"]["matches"] is False
    assert {
        "kind": "package",
        "name": "numpy",
        "recorded": "1.0.0",
        "current": installed_packages()["numpy"],
    } in data["differences"]


def test_run_without_lock_says_so(tmp_path: Path) -> None:
    recorded = _provenance(tmp_path)
    report = compare_environment(recorded, tmp_path)
    assert report.lock.recorded_hash is None
    assert "recorded no" in report.lock.describe()
