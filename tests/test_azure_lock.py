"""requirements-azure.lock: the azure extra's own packages, installed beside .venv for the tests.

``make lock`` writes it (the extra resolved against requirements.lock, minus what
requirements.lock already pins); ``.ci/install-azurite`` installs it with
``--no-deps`` in ``.cache/azure-extra``. So it must pin every direct requirement of
the extra within pyproject's range and repeat nothing requirements.lock pins
(a second, different version of a shared package would shadow the locked one in
the Azure tests' children).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            package, version = line.split("==", 1)
            pins[package.strip().lower().replace("_", "-")] = version.split()[0]
    return pins


def test_the_azure_lock_pins_the_extra_and_repeats_nothing_locked() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["azure"]
    azure, main = _pins("requirements-azure.lock"), _pins("requirements.lock")
    assert not set(azure) & set(main)
    for line in extra:
        requirement = Requirement(line)
        name = requirement.name.lower()
        version = azure.get(name, main.get(name))
        assert version is not None, f"{name} is pinned in neither lock"
        assert requirement.specifier.contains(Version(version)), (name, version)
    assert {"adlfs", "azure-storage-blob", "azure-core"} <= set(azure)
