"""Where a project keeps its things (paths relative to the project root: the folder
``ploomber build`` runs in, holding ``pipeline.yaml``, or ``setup.py`` in a packaged project).

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
        root: the project root: the folder holding ``pipeline.yaml`` (or, in the
            packaged layout, ``setup.py``).
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

    Found as ``ploomber build`` finds its pipeline (:mod:`nbops.core._pipeline_location`):
    a packaged project (``setup.py`` beside ``src/<package>/pipeline.yaml``) is rooted at
    the ``setup.py``'s folder, not inside the package.

    Raises:
        ConfigError: ``start`` is in no Ploomber project.
    """
    from nbops.core._pipeline_location import locate_pipeline

    if start is None:
        start = os.environ.get(ROOT_ENV) or os.getcwd()
    here = Path(os.path.abspath(start))
    location = locate_pipeline(here)
    if location is not None:
        return Project(location.root)
    # a project whose pipeline is a factory (ploomber build -e pkg.module.make) has no
    # pipeline file: its root is where its builds left .nbops/ (or nbops init, reports/)
    for folder in (here, *here.parents[:5]):
        if (folder / ".nbops").is_dir() or (folder / "reports" / "runs").is_dir():
            return Project(folder)
    raise ConfigError(
        f"No {PIPELINE_FILE} found in {here} or the five folders above it (nor a setup.py "
        f"beside src/<package>/{PIPELINE_FILE}, nor a setup.cfg naming an entry-point)",
        "run nbops from inside a project (where ploomber build runs) or pass --project",
    )
