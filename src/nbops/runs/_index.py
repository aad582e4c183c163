"""The run index: ``reports/runs/index.jsonl``, one summary line per run event.

Listing 10,000 runs must not parse 10,000 manifests. Every time the ledger
writes a manifest it appends that run's summary here, with the manifest file's
``manifest_stat`` (size, mtime, inode); the last line for a run id wins. The
index is only a cache: lines for runs whose folder is gone are ignored, runs
missing from it or whose manifest changed since their line was written (a
crash between the manifest write and the append, an old index) are
summarised from their manifest and appended, and a damaged line is skipped.
When damaged or superseded lines pile up, the file is compacted to one line
per run (only while no build holds the project lock, so no append can be lost).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from nbops.contracts import Manifest, RunSummary, read_manifest
from nbops.core import (
    LockTimeout,
    Project,
    ProjectLock,
    atomic_write_text,
    experiment_of,
    flatten,
    is_run_id,
    schema_errors,
)
from nbops.runs._index_checked import checked_prefix, remember_checked

Summary = RunSummary
logger = logging.getLogger("nbops")


def summarize(manifest: Manifest) -> Summary:
    """The index line for ``manifest``."""
    counts = {"executed": 0, "skipped": 0, "failed": 0}
    for task in manifest["tasks"].values():
        if task["status"] in counts:
            counts[task["status"]] += 1
    experiment = experiment_of(manifest)
    summary: Summary = {
        "schema_version": 1,
        "run_id": manifest["run_id"],
        "status": manifest["status"],
        "started_at": manifest["started_at"],
        "finished_at": manifest["finished_at"],
        "duration_s": manifest["duration_s"],
        "executed": counts["executed"],
        "skipped": counts["skipped"],
        "failed": counts["failed"],
        "metrics": manifest["metrics"],
        "pid": manifest["pid"],
        "host": manifest["host"],
        "experiment": {"model": experiment.model, "data": experiment.data,
                       "name": experiment.name},
        "params": flat_params(manifest.get("env") or {}),
        # each task's outcome, so that one notebook's history is read from the index
        "tasks": {name: {"status": task["status"], "duration_s": task["duration_s"]}
                  for name, task in manifest["tasks"].items()},
    }
    _add_verdicts(summary, manifest)
    if manifest.get("tags"):
        summary["tags"] = manifest["tags"]
    from nbops.runs._annotations import notes_text

    notes = notes_text(manifest)
    if notes is not None:
        summary["notes"] = notes
    return summary


def manifest_stat(project: Project, run_id: str, runs_dir: str | None = None) -> list[int] | None:
    """``[size, mtime_ns, inode]`` of a run's manifest file, None if it has none.

    ``runs_dir`` (``str(project.runs_dir)``) saves building Path objects when
    called for every run of a large ledger.
    """
    folder = str(project.runs_dir) if runs_dir is None else runs_dir
    try:
        st = os.stat(f"{folder}/{run_id}/manifest.json")
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


#: env.yaml sections that are settings of nbops itself, not parameters of the experiment.
_NOT_PARAMS = ("gates", "registry", "reproduce")


def flat_params(env: Mapping[str, Any]) -> dict[str, bool | int | float | str | None]:
    """The run's parameters as ``{"model.max_iter": 300, ...}`` (scalars only, short text).

    The reports' runs table shows the ones that vary between runs of an experiment.
    """
    return {key.dotted: value for key, value in flatten(env).items()
            if key.parts[0] not in _NOT_PARAMS and (
                value is None or isinstance(value, bool | int | float)
                or (isinstance(value, str) and len(value) <= 120))}


def _add_verdicts(found: Summary, manifest: Manifest) -> None:
    """The gates' and the monitoring verdicts, and the model version the run registered or
    monitored (``{model, version}``), when the run has them."""
    registry, monitoring = manifest.get("registry"), manifest.get("monitoring")
    used: dict[str, object] | None = None
    champion = monitoring.get("champion") if monitoring is not None else None
    if registry is not None and registry.get("version") is not None:
        used = {"model": registry.get("model"), "version": registry.get("version")}
    elif isinstance(champion, dict):
        used = {k: champion.get(k) for k in ("model", "version")}
    if used and isinstance(used["model"], str) and isinstance(used["version"], int):
        found["model_version"] = {"model": used["model"], "version": used["version"]}
    gates = manifest.get("gates")
    if isinstance(gates, dict):
        failed = [str(r.get("name")) for r in gates.get("results") or []
                  if isinstance(r, dict) and r.get("verdict") == "failed"]
        if failed:
            found["failed_gates"] = failed
    gates_verdict = gates.get("verdict") if gates is not None else None
    if isinstance(gates_verdict, str):
        found["gates_verdict"] = gates_verdict
    monitoring_verdict = monitoring.get("verdict") if monitoring is not None else None
    if isinstance(monitoring_verdict, str):
        found["monitoring_verdict"] = monitoring_verdict


def _checked_line(item: Any) -> Summary:
    """An index line checked against ``run_index.schema.json`` (now, or when it was first
    read: ``index_checked.json``), as the type that schema describes."""
    line: Summary = item
    return line


def _line(summary: Summary) -> str:
    errors = schema_errors(summary, "run_index")
    if errors:
        raise ValueError(f"invalid run index line: {errors[0]}")
    return json.dumps(summary, separators=(",", ":"), allow_nan=False) + "\n"


def append(project: Project, summary: Summary) -> None:
    """Append one summary line (a single ``write`` of a whole line under ``O_APPEND``).

    Not fsynced: the index is a cache of the manifests (which are), and a line lost
    with the power is summarised again from its manifest by the next reader.
    """
    project.runs_dir.mkdir(parents=True, exist_ok=True)
    data = _line(summary).encode("utf-8")
    fd = os.open(project.index_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    except OSError as exc:  # name the file: "No space left on device" alone says too little
        raise OSError(exc.errno, exc.strerror, str(project.index_path)) from None
    finally:
        os.close(fd)


def _read_lines(project: Project) -> tuple[dict[str, Summary], int, int]:
    """``(latest summary per run id, damaged lines, total lines)``.

    Lines a previous reader already checked against the schema (the same leading
    bytes of the file: :mod:`nbops.runs._index_checked`) are not checked again.
    """
    latest: dict[str, Summary] = {}
    bad = total = 0
    try:
        raw = project.index_path.read_bytes()
    except FileNotFoundError:
        return latest, 0, 0
    checked = checked_prefix(project, raw)
    lines = raw.split(b"\n")
    known = raw.count(b"\n", 0, checked.length)  # lines wholly inside the checked bytes
    damaged: set[int] = set(checked.damaged)
    for number, line in enumerate(lines):
        if not line:
            continue
        total += 1
        if number < known and number in damaged:
            bad += 1
            continue
        try:  # a damaged line (even a non-UTF-8 byte) is skipped, never fatal
            item = json.loads(line.decode("utf-8"))
        except ValueError:
            item = None
        if not isinstance(item, dict) or (number >= known and schema_errors(item, "run_index")):
            bad += 1
            damaged.add(number)
            continue
        latest[item["run_id"]] = _checked_line(item)
    complete = raw.rfind(b"\n") + 1  # a line still being appended is checked next time
    if complete > checked.length:
        whole = len(lines) - 1  # the lines before the last newline
        remember_checked(project, raw, complete, {n for n in damaged if n < whole})
    return latest, bad, total


def run_ids_on_disk(project: Project) -> list[str]:
    """Run ids that have a folder under ``reports/runs/``, oldest first."""
    try:
        names = os.listdir(project.runs_dir)
    except FileNotFoundError:
        return []
    return sorted(name for name in names if is_run_id(name))


def summaries(project: Project) -> list[Summary]:
    """Summaries of every run on disk, oldest first (healing the index as needed)."""
    latest, bad, total = _read_lines(project)
    on_disk = run_ids_on_disk(project)
    healed = 0
    folder = str(project.runs_dir)
    for run_id in on_disk:
        stat = manifest_stat(project, run_id, folder)
        known = latest.get(run_id)
        if known is not None and (stat is None or known.get("manifest_stat") == stat):
            continue
        try:
            summary = summarize(read_manifest(project.manifest_path(run_id)))
        except Exception as exc:  # noqa: BLE001 - a broken run is listed as such, not fatal
            if known is None:
                logger.warning("nbops: run %s has no readable manifest (%s)", run_id, exc)
            continue
        if stat is not None:
            summary["manifest_stat"] = stat
        latest[run_id] = summary
        append(project, summary)
        healed += 1
    if bad or healed > 50 or total + healed > 2 * len(on_disk) + 50:
        _compact(project, [latest[r] for r in on_disk if r in latest])
    return [latest[run_id] for run_id in on_disk if run_id in latest]


def _compact(project: Project, items: list[Summary]) -> None:
    """Rewrite the index with one line per run, if no build is writing to the ledger now."""
    lock = ProjectLock(project.lock_path, purpose="index compaction")
    try:
        lock.acquire(timeout=0)
    except LockTimeout:
        return  # a build holds the lock; compact another time
    try:
        rewrite(project, items)
    finally:
        lock.release()


def rewrite(project: Project, items: list[Summary]) -> None:
    """Replace the index with ``items`` (atomically)."""
    atomic_write_text(project.index_path, "".join(_line(item) for item in items))
