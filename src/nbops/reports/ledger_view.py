"""What reports read from the ledger: manifests and the run index.

The site lists every run, so it reads the run summaries in
``reports/runs/index.jsonl`` (one validated line per change; the last line for
a run id wins) rather than every manifest. When the index is missing, the
summaries are derived from the manifests instead, so reports still work on a
ledger copied without it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from nbops.core.errors import NbopsError
from nbops.core.manifest import read_sealed_manifest
from nbops.core.schema import schema_errors
from nbops.runs.index import summarize

log = logging.getLogger("nbops")

INDEX_NAME = "index.jsonl"
COMPARABLE = ("succeeded", "gated")

Summary = dict[str, Any]


def runs_dir(reports_dir: Path) -> Path:
    """The folder holding one subfolder per run."""
    return Path(reports_dir) / "runs"


def load_manifest(run_dir: Path) -> dict[str, Any]:
    """The validated manifest of the run in ``run_dir``, refused unless it matches its seal."""
    return read_sealed_manifest(Path(run_dir) / "manifest.json")


def summary_of(manifest: dict[str, Any]) -> Summary:
    """A run-index summary built from a full manifest (the ledger's own index line)."""
    return summarize(manifest)


def _read_index(path: Path) -> dict[str, Summary] | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    latest: dict[str, Summary] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("nbops: skipping unreadable line %d of %s", number, path)
            continue
        errors = schema_errors(entry, "run_index")
        if errors:
            log.warning("nbops: skipping invalid line %d of %s (%s)", number, path, errors[0])
            continue
        latest[entry["run_id"]] = entry
    return latest


def list_summaries(reports_dir: Path) -> list[Summary]:
    """Every run of the ledger, newest first.

    Runs present in the index but whose folder is gone (pruned) are left out;
    runs with a manifest but no index line (copied ledgers) are added.
    """
    folder = runs_dir(reports_dir)
    if not folder.is_dir():
        return []
    present = {p.name for p in folder.iterdir() if (p / "manifest.json").is_file()}
    indexed = _read_index(folder / INDEX_NAME) or {}
    summaries = {rid: s for rid, s in indexed.items() if rid in present}
    for run_id in present - summaries.keys():
        try:
            summaries[run_id] = summary_of(load_manifest(folder / run_id))
        except (NbopsError, OSError) as exc:  # a damaged run must not hide the others
            log.warning("nbops: leaving run %s out of the site: %s", run_id, exc)
    return [summaries[rid] for rid in sorted(summaries, reverse=True)]


def previous_comparable(summaries: list[Summary], run_id: str) -> Summary | None:
    """The newest run older than ``run_id`` that finished with valid metrics."""
    for summary in summaries:  # newest first
        if summary["run_id"] < run_id and summary["status"] in COMPARABLE:
            return summary
    return None


def champion_metrics(manifest: dict[str, Any], reports_dir: Path) -> tuple[str, dict[str, Any]]:
    """The champion this run was compared with: ``(label, metrics)``.

    Reads the ``registry`` section (written by nbops.registry): the champion
    before this run, as a run id, a version, and possibly its metrics. When
    only a run id is given, the champion's metrics come from that run.
    """
    registry = manifest.get("registry")
    if not isinstance(registry, dict):
        return "", {}
    champion = registry.get("champion_before")
    if not champion:
        return "", {}
    if not isinstance(champion, dict):
        return str(champion), {}
    model = champion.get("model") or registry.get("model")
    version = champion.get("version")
    label = " ".join(
        part for part in (str(model) if model else "", f"v{version}" if version is not None else "")
        if part
    ) or str(champion.get("run_id", "champion"))
    metrics = champion.get("metrics")
    if isinstance(metrics, dict):
        return label, metrics
    run_id = champion.get("run_id")
    if isinstance(run_id, str) and (runs_dir(reports_dir) / run_id / "manifest.json").is_file():
        try:
            return label, dict(load_manifest(runs_dir(reports_dir) / run_id).get("metrics", {}))
        except (NbopsError, OSError) as exc:
            log.warning("nbops: cannot read champion run %s: %s", run_id, exc)
    return label, {}
