"""Where a project keeps its things (paths relative to the folder holding ``pipeline.yaml``).

See the path table in ARCHITECTURE.md. :class:`Project` is a plain value
object passed explicitly; nothing here is global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbops.core._errors import ConfigError

PIPELINE_FILE = "pipeline.yaml"
ROOT_ENV = "NBOPS_PROJECT_ROOT"
RUN_ENV = "NBOPS_RUN_ID"


@dataclass(frozen=True)
class Project:
    """The paths of one nbops project.

    Args:
        root: the folder holding ``pipeline.yaml``.
    """

    root: Path

    @property
    def name(self) -> str:
        """The project's folder name."""
        return self.root.name

    @property
    def state_dir(self) -> Path:
        """``.nbops/``: store, products, lock, caches."""
        return self.root / ".nbops"

    @property
    def store_dir(self) -> Path:
        """``.nbops/store/``: the content-addressed store."""
        return self.state_dir / "store"

    @property
    def products_dir(self) -> Path:
        """``.nbops/products/``: Ploomber's working products."""
        return self.state_dir / "products"

    @property
    def lock_path(self) -> Path:
        """``.nbops/lock``: the build lock."""
        return self.state_dir / "lock"

    @property
    def hash_cache_path(self) -> Path:
        """``.nbops/cache/hashes.json``: digests of unchanged working files."""
        return self.state_dir / "cache" / "hashes.json"

    @property
    def pins_path(self) -> Path:
        """``.nbops/pins.json``: runs that ``nbops gc`` must keep."""
        return self.state_dir / "pins.json"

    @property
    def registry_dir(self) -> Path:
        """``.nbops/registry/``: the model registry."""
        return self.state_dir / "registry"

    @property
    def reports_dir(self) -> Path:
        """``reports/``: the shareable report site."""
        return self.root / "reports"

    @property
    def shares_ledger(self) -> bool:
        """Whether ``reports/`` is linked from another project (a sweep's slot).

        Builds in such a project write runs into a ledger that other builds, holding
        other locks, write too; holding this project's lock says nothing about them.
        """
        return self.reports_dir.is_symlink()

    @property
    def runs_dir(self) -> Path:
        """``reports/runs/``: one folder per run."""
        return self.reports_dir / "runs"

    @property
    def index_path(self) -> Path:
        """``reports/runs/index.jsonl``: the run index (a cache of manifest summaries)."""
        return self.runs_dir / "index.jsonl"

    def run_dir(self, run_id: str) -> Path:
        """``reports/runs/<run_id>/``."""
        return self.runs_dir / run_id

    def manifest_path(self, run_id: str) -> Path:
        """``reports/runs/<run_id>/manifest.json``."""
        return self.run_dir(run_id) / "manifest.json"

    def relative(self, path: Path | str) -> str:
        """``path`` relative to the project root when inside it, else absolute."""
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return absolute.as_posix()

    def absolute(self, path: str) -> Path:
        """Inverse of :meth:`relative`."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / candidate


def find_project(start: Path | str | None = None) -> Project:
    """The project containing ``start`` (default: ``$NBOPS_PROJECT_ROOT`` or the cwd).

    Raises:
        ConfigError: no ``pipeline.yaml`` in ``start`` or any parent.
    """
    if start is None:
        start = os.environ.get(ROOT_ENV) or os.getcwd()
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if (folder / PIPELINE_FILE).is_file():
            return Project(folder)
    raise ConfigError(
        f"No {PIPELINE_FILE} found in {here} or any folder above it",
        f"run nbops from inside a project (the folder holding {PIPELINE_FILE}) or pass --project",
    )
