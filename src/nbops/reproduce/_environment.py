"""Compare the environment a run was made in with the one reproducing it.

Everything that can change results without changing the code is listed up
front: every package whose installed version differs from the recorded one
(or that was added or removed), the Python version, the platform, and the
dependency lock (``requirements.lock``) the run was made with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbops.contracts import EnvironmentComparison, EnvironmentDifference, LockComparison
from nbops.core import hash_file
from nbops.runs import LOCK_FILES, interpreter
from nbops.runs import installed_packages as distributions

LOCK_FILE = "requirements.lock"


@dataclass(frozen=True)
class Difference:
    """One way the current environment differs from the recorded one.

    Attributes:
        kind: ``package``, ``python``, ``platform`` or ``lock``.
        name: the package name (normalised), or the kind again.
        recorded: the value at run time (``None``: absent then).
        current: the value now (``None``: absent now).
    """

    kind: str
    name: str
    recorded: str | None
    current: str | None

    def describe(self) -> str:
        """One line for people, e.g. ``numpy 2.4.6 -> 2.4.7``."""
        if self.recorded is None:
            return f"{self.name}: not recorded at run time, now {self.current}"
        if self.current is None:
            return f"{self.name}: {self.recorded} at run time, now missing"
        return f"{self.name}: {self.recorded} at run time, now {self.current}"

    def to_dict(self) -> EnvironmentDifference:
        """JSON form."""
        return {"kind": self.kind, "name": self.name, "recorded": self.recorded,
                "current": self.current}


def normalise_name(name: str) -> str:
    """PEP 503 normalised distribution name (``Jupyter_Client`` -> ``jupyter-client``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    """``{normalised name: version}`` of every distribution installed here."""
    return {normalise_name(k): v for k, v in distributions().items()}


def package_differences(
    recorded: Mapping[str, str], installed: Mapping[str, str]
) -> list[Difference]:
    """Every package added, removed or at another version, sorted by name."""
    before = {normalise_name(k): v for k, v in recorded.items()}
    now = {normalise_name(k): v for k, v in installed.items()}
    return [
        Difference("package", name, before.get(name), now.get(name))
        for name in sorted(set(before) | set(now))
        if before.get(name) != now.get(name)
    ]


@dataclass(frozen=True)
class LockStatus:
    """Which dependency lock a run was made with, and whether today's matches.

    Attributes:
        recorded_hash: ``provenance.lock_hash`` of the run (``None``: no lock then).
        current_hash: hash of the project's lock file now (``None``: no lock file).
        commit_hash: hash of the lock file in the run's checkout (``None``: none there).
        path: the lock file's name.
    """

    recorded_hash: str | None
    current_hash: str | None
    commit_hash: str | None
    path: str = LOCK_FILE

    @property
    def matches(self) -> bool:
        """Whether the current lock is byte-identical to the run's."""
        return self.recorded_hash is not None and self.recorded_hash == self.current_hash

    def describe(self) -> str:
        """One sentence naming the lock and comparing it with today's."""
        if self.recorded_hash is None:
            return f"the run recorded no {self.path}"
        where = (
            " (the one committed with the run)" if self.commit_hash == self.recorded_hash else ""
        )
        head = f"run made with {self.path} {self.recorded_hash[:19]}…{where}"
        if self.current_hash is None:
            return f"{head}; there is no {self.path} now"
        if self.matches:
            return f"{head}; the current {self.path} matches"
        return f"{head}; the current {self.path} differs ({self.current_hash[:19]}…)"

    def to_dict(self) -> LockComparison:
        """JSON form."""
        return {"recorded_hash": self.recorded_hash, "current_hash": self.current_hash,
                "commit_hash": self.commit_hash, "path": self.path, "matches": self.matches}


def lock_file(folder: Path) -> Path | None:
    """The dependency lock the ledger hashes in ``folder`` (first of its known names)."""
    for name in LOCK_FILES:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def lock_hash(folder: Path) -> str | None:
    """Hash of the lock file in ``folder``, as the ledger records it (``None``: no lock)."""
    path = lock_file(folder)
    return hash_file(path) if path is not None else None


@dataclass(frozen=True)
class EnvironmentReport:
    """How the current environment differs from a run's.

    Attributes:
        differences: packages, then Python, then platform (lock separately).
        lock: the lock the run was made with, compared with today's.
    """

    differences: list[Difference]
    lock: LockStatus

    @property
    def identical(self) -> bool:
        """No package, Python or platform difference and the same lock."""
        return not self.differences and (self.lock.matches or self.lock.recorded_hash is None)

    def to_dict(self) -> EnvironmentComparison:
        """JSON form."""
        return {
            "identical": self.identical,
            "differences": [d.to_dict() for d in self.differences],
            "lock": self.lock.to_dict(),
        }


def compare_environment(
    recorded_provenance: Mapping[str, Any],
    project_root: Path,
    checkout_root: Path | None = None,
    installed: Mapping[str, str] | None = None,
) -> EnvironmentReport:
    """Compare a run's recorded provenance with the running interpreter.

    Args:
        recorded_provenance: the manifest's ``provenance`` section.
        project_root: the project now (its lock file is the current one).
        checkout_root: the run's scratch checkout, to hash the lock committed with it.
        installed: installed packages (default: this interpreter's).
    """
    now = installed_packages() if installed is None else dict(installed)
    differences = package_differences(recorded_provenance.get("packages") or {}, now)
    python, platform_name = interpreter()
    for kind, current in (("python", python), ("platform", platform_name)):
        recorded = recorded_provenance.get(kind)
        if recorded is not None and recorded != current:
            differences.append(Difference(kind, kind, str(recorded), current))
    found = lock_file(checkout_root if checkout_root is not None else project_root)
    lock = LockStatus(
        recorded_hash=recorded_provenance.get("lock_hash"),
        current_hash=lock_hash(project_root),
        commit_hash=lock_hash(checkout_root) if checkout_root is not None else None,
        path=found.name if found is not None else LOCK_FILE,
    )
    return EnvironmentReport(differences, lock)


__all__ = [
    "Difference",
    "EnvironmentReport",
    "LockStatus",
    "compare_environment",
    "installed_packages",
    "package_differences",
]
