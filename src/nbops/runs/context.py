"""The run context handed to every step that runs after the ledger closes a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbops.core.manifest import Manifest
from nbops.core.project import Project
from nbops.core.store import ContentStore


@dataclass
class RunContext:
    """One closed (or closing) run.

    Attributes:
        project: the project's paths.
        run_id: the run's id.
        manifest: the manifest as last written (re-read it with
            :func:`nbops.runs.load_manifest` after other steps changed it).
        env: the resolved ``env.yaml`` values of the build (secrets redacted),
            for steps that read their own settings (``gates:``, ``monitoring:``).
    """

    project: Project
    run_id: str
    manifest: Manifest

    @property
    def run_dir(self) -> Path:
        """``reports/runs/<run_id>/``."""
        return self.project.run_dir(self.run_id)

    @property
    def manifest_path(self) -> Path:
        """``reports/runs/<run_id>/manifest.json``."""
        return self.project.manifest_path(self.run_id)

    @property
    def status(self) -> str:
        """The run's status (``succeeded``, ``failed``, ``gated`` …)."""
        return str(self.manifest["status"])

    @property
    def env(self) -> dict[str, object]:
        """The build's resolved ``env.yaml`` values (secrets redacted)."""
        return dict(self.manifest.get("env", {}))

    @property
    def store(self) -> ContentStore:
        """The project's content store."""
        return ContentStore(self.project.store_dir)

    def notebook_path(self, task: str) -> Path | None:
        """The run's executed notebook for ``task`` (inside the run folder), if any."""
        notebook = self.manifest["tasks"].get(task, {}).get("notebook")
        return self.run_dir / notebook["path"] if notebook else None
