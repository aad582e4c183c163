"""Reading and amending runs: the API other features build on.

    load_manifest(project, run_id)                 validated manifest
    update_section(project, run_id, section, data) add/replace a feature section, atomically
    set_status(project, run_id, status)            e.g. ``gated`` after a failed gate
    list_runs(project)                             index summaries, oldest first
    resolve_run(project, ref)                      ``latest``, a full id or a unique prefix

Every write goes through :func:`nbops.core.manifest.write_manifest`
(schema-validated, atomic, sealed) and appends the run's summary to the index.
"""

from __future__ import annotations

from typing import Any

from nbops.core.errors import LedgerError
from nbops.core.manifest import Manifest, read_manifest
from nbops.core.project import Project
from nbops.runs import index
from nbops.runs.persist import save_manifest
from nbops.runs.stale import close_stale_runs

#: Sections owned by the ledger itself; features add their own instead.
CORE_SECTIONS = frozenset({
    "schema_version", "run_id", "project", "status", "started_at", "finished_at", "duration_s",
    "command", "host", "pid", "build", "params", "env", "tasks", "metrics", "provenance",
    "failure", "store", "interrupted", "overhead",
})
FINAL_STATUSES = ("succeeded", "failed", "gated", "alert", "interrupted")


def load_manifest(project: Project, run_id: str) -> Manifest:
    """The validated manifest of ``run_id`` (``latest`` and prefixes accepted)."""
    return read_manifest(project.manifest_path(resolve_run(project, run_id)))


def update_section(project: Project, run_id: str, section: str, data: dict[str, Any]) -> Manifest:
    """Set the top-level ``section`` of a run's manifest to ``data``.

    Raises:
        LedgerError: ``section`` belongs to the ledger, or ``data`` is not an object.
    """
    if section in CORE_SECTIONS:
        raise LedgerError(f"Manifest section {section!r} belongs to the run ledger",
                          "store feature data under your own section name")
    if not isinstance(data, dict):
        raise LedgerError(f"Manifest section {section!r} must be a JSON object",
                          "pass a dict")
    manifest = load_manifest(project, run_id)
    manifest[section] = data
    save_manifest(project, manifest)
    return manifest


def set_status(project: Project, run_id: str, status: str) -> Manifest:
    """Change a closed run's final status (e.g. ``succeeded`` → ``gated``)."""
    if status not in FINAL_STATUSES:
        raise LedgerError(f"{status!r} is not a final run status",
                          f"use one of {', '.join(FINAL_STATUSES)}")
    manifest = load_manifest(project, run_id)
    manifest["status"] = status
    save_manifest(project, manifest)
    return manifest


def list_runs(project: Project) -> list[dict[str, Any]]:
    """Summaries of every run, oldest first (see :func:`nbops.runs.index.summarize`).

    Runs left ``running`` by a dead build are marked ``interrupted`` first.
    """
    summaries = index.summaries(project)
    if any(item["status"] == "running" for item in summaries):
        if close_stale_runs(project):
            summaries = index.summaries(project)
    return summaries


def resolve_run(project: Project, ref: str) -> str:
    """Turn ``latest``, ``latest~N``, a full run id or a unique prefix into a run id.

    Raises:
        LedgerError: no run, or an ambiguous prefix.
    """
    run_ids = index.run_ids_on_disk(project)
    if not run_ids:
        raise LedgerError(f"No runs recorded in {project.runs_dir}",
                          "run `ploomber build` in the project first")
    if ref == "latest" or ref.startswith("latest~"):
        back = ref[len("latest~"):] if ref != "latest" else "0"
        if not back.isdigit() or int(back) >= len(run_ids):
            raise LedgerError(f"{ref!r} does not name a run ({len(run_ids)} recorded)",
                              "use latest, latest~1, … or a run id from `nbops runs`")
        return run_ids[-1 - int(back)]
    if ref in run_ids:
        return ref
    matches = [run_id for run_id in run_ids if run_id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LedgerError(f"No run matches {ref!r}", "list run ids with `nbops runs`")
    raise LedgerError(f"{ref!r} matches {len(matches)} runs ({matches[0]}, {matches[1]} …)",
                      "type more characters of the run id")
