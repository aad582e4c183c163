"""Reading and amending runs: the API other features build on.

    load_manifest(project, run_id)                 validated manifest
    update_section(project, run_id, section, data) add/replace a feature section, atomically
    set_status(project, run_id, status)            e.g. ``gated`` after a failed gate
    list_runs(project)                             index summaries, oldest first
    resolve_run(project, ref)                      ``latest``, a full id or a unique prefix

Every write goes through :func:`nbops.contracts._manifest_file.write_manifest`
(schema-validated, sealed, atomic) and appends the run's summary to the index.
These amend a run *on disk* (e.g. a reproduction recorded later), so they
first check the manifest against its seal: a manifest edited outside nbops is
refused, never sealed again. During a build's close, steps use
:meth:`nbops.runs.RunContext.update` instead (memory and disk in step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from nbops.contracts import (
    Manifest,
    RunStatus,
    RunSummary,
    Section,
    SectionT,
    is_manifest,
    manifest_errors,
    read_manifest,
    read_sealed_manifest,
    seal_state,
)
from nbops.core import IntegrityError, LedgerError, Project
from nbops.runs import _index as index
from nbops.runs._context import CORE_SECTIONS, check_section
from nbops.runs._persist import save_manifest
from nbops.runs._stale import UNFINISHED, close_stale_runs

FINAL_STATUSES: tuple[RunStatus, ...] = ("succeeded", "failed", "gated", "alert", "interrupted")
_FINAL_STATUS: dict[str, RunStatus] = {status: status for status in FINAL_STATUSES}


def load_manifest(project: Project, run_id: str) -> Manifest:
    """The validated manifest of ``run_id`` (``latest`` and prefixes accepted).

    Raises:
        IntegrityError: the manifest does not match its seal (edited outside
            nbops) or is corrupt: nothing may act on such a run.
    """
    return read_sealed_manifest(project.manifest_path(resolve_run(project, run_id)))


def update_section(project: Project, run_id: str, section: str,
                   data: Mapping[str, object]) -> Manifest:
    """Set the top-level ``section`` of a run's manifest to ``data``.

    For a section without a type of its own (a feature's typed section goes through
    :func:`amend_section`): the whole manifest is checked against its schema before it
    is written.

    Raises:
        LedgerError: ``section`` belongs to the ledger, or ``data`` is not an object.
    """
    if section in CORE_SECTIONS:
        raise LedgerError(f"Manifest section {section!r} belongs to the run ledger",
                          "store feature data under your own section name")
    if not isinstance(data, dict):
        raise LedgerError(f"Manifest section {section!r} must be a JSON object",
                          "pass a dict")

    def change(manifest: Manifest) -> Manifest:
        changed: dict[str, object] = {**manifest, section: data}
        if not is_manifest(changed):
            raise LedgerError(f"Manifest section {section!r} does not fit the manifest "
                              f"schema ({manifest_errors(changed)[0]})",
                              "pass a JSON object of the section's own shape")
        return changed

    return _amend(project, run_id, change)


def amend_section(project: Project, run_id: str, section: Section[SectionT],
                  value: SectionT) -> Manifest:
    """Set a feature's typed section of a finished run on disk (validated against its schema).

    Raises:
        LedgerError: ``value`` does not match the section's schema.
        IntegrityError: the manifest does not match its seal.
    """
    check_section(section, value)

    def change(manifest: Manifest) -> Manifest:
        section.put(manifest, value)
        return manifest

    return _amend(project, run_id, change)


def set_status(project: Project, run_id: str, status: str) -> Manifest:
    """Change a closed run's final status (e.g. ``succeeded`` → ``gated``)."""
    final = _FINAL_STATUS.get(status)
    if final is None:
        raise LedgerError(f"{status!r} is not a final run status",
                          f"use one of {', '.join(FINAL_STATUSES)}")

    def change(manifest: Manifest) -> Manifest:
        manifest["status"] = final
        return manifest

    return _amend(project, run_id, change)


def _amend(project: Project, run_id: str, change: Callable[[Manifest], Manifest]) -> Manifest:
    """Apply ``change`` to a run's manifest on disk, if it is the one nbops sealed."""
    run_id = resolve_run(project, run_id)
    path = project.manifest_path(run_id)
    manifest = read_manifest(path)
    state = seal_state(path)
    if state.kind == "tampered":
        raise IntegrityError(
            f"Run {run_id} was not changed: {state.problem}, and nbops never seals a "
            "record it did not write",
            f"run `nbops verify {run_id}`; restore the manifest from a backup or delete the run")
    manifest = change(manifest)
    save_manifest(project, manifest, state.digest)
    return manifest


def list_runs(project: Project) -> list[RunSummary]:
    """Summaries of every run, oldest first (see :func:`nbops.runs._index.summarize`).

    Runs left ``running`` or ``closing`` by a dead build are marked ``interrupted`` first.
    """
    summaries = index.summaries(project)
    if any(item["status"] in UNFINISHED for item in summaries):
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
