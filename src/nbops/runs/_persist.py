"""The one way the ledger writes a manifest: validated, sealed, atomic, then indexed."""

from __future__ import annotations

from nbops.contracts import Manifest, write_manifest
from nbops.core import Project, crash_point
from nbops.runs import _index as index


def save_manifest(project: Project, manifest: Manifest, previous_hash: str | None = None,
                  index_too: bool = True, validate: bool = True) -> str:
    """Write ``manifest`` (validated, sealed, atomic) and append its summary to the index.

    Args:
        previous_hash: digest of the version being replaced (what nbops last
            wrote), so a crash between seal and manifest reads as an
            interrupted write (see :func:`nbops.contracts._manifest_file.seal_state`).
        index_too: also append the run's summary line (skip it when the
            summary cannot have changed, e.g. a feature section was added).
        validate: check the whole manifest against its schema (skip it when
            only a feature section changed and was checked against its own).

    Returns:
        The digest of the manifest bytes written.
    """
    digest = write_manifest(project.manifest_path(manifest["run_id"]), manifest, previous_hash,
                            validate)
    if index_too:
        summary = index.summarize(manifest)
        stat = index.manifest_stat(project, manifest["run_id"])
        if stat is not None:
            summary["manifest_stat"] = stat
        index.append(project, summary)
        crash_point("index.appended")
    return digest
