"""The one way the ledger writes a manifest: validated, atomic, sealed, then indexed."""

from __future__ import annotations

from nbops.core.manifest import Manifest, write_manifest
from nbops.core.project import Project
from nbops.runs import index


def save_manifest(project: Project, manifest: Manifest) -> None:
    """Write ``manifest`` (validated, atomic, sealed) and append its summary to the index."""
    write_manifest(project.manifest_path(manifest["run_id"]), manifest)
    index.append(project, index.summarize(manifest))
