"""What reports read from the ledger: manifests and the run index, through nbops.runs.

The site lists every run, so it reads the run summaries of the run index
(:func:`nbops.runs._index.summaries`: one validated line per change, the last
line for a run id wins) rather than every manifest; runs missing from the index
are summarised from their manifest by the ledger. Paths come from
:class:`nbops.core._project.Project`: the reports folder is the project's
``reports/``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nbops import runs
from nbops.contracts import Manifest, RunSummary
from nbops.core import NbopsError, Project
from nbops.runs import run_summaries, summarize

log = logging.getLogger("nbops")

COMPARABLE = ("succeeded", "gated")

Summary = RunSummary


def project_of(reports_dir: Path) -> Project:
    """The project whose report site is ``reports_dir``."""
    return Project(Path(reports_dir).parent)


def runs_dir(reports_dir: Path) -> Path:
    """The folder holding one subfolder per run."""
    return project_of(reports_dir).runs_dir


def run_dir_of(reports_dir: Path, ref: str) -> Path:
    """The folder of the run ``ref`` names (an id, a unique prefix, ``latest``, ``latest~N``).

    Raises:
        LedgerError: no run, or an ambiguous prefix (see :func:`nbops.runs.resolve_run`).
    """
    project = project_of(reports_dir)
    return project.run_dir(runs.resolve_run(project, ref))


def load_manifest(run_dir: Path) -> Manifest:
    """The validated manifest of the run stored in ``run_dir``."""
    run_dir = Path(run_dir)
    return runs.load_manifest(project_of(run_dir.parent.parent), run_dir.name)


def summary_of(manifest: Manifest) -> Summary:
    """A run-index summary built from a full manifest (the ledger's own index line)."""
    return summarize(manifest)


def list_summaries(reports_dir: Path) -> list[Summary]:
    """Every run of the ledger, newest first.

    Runs present in the index but whose manifest is gone (pruned) are left out;
    runs with a manifest but no index line (copied ledgers) are summarised by
    the ledger, which adds them to the index.
    """
    project = project_of(reports_dir)
    if not project.runs_dir.is_dir():
        return []
    summaries = [s for s in run_summaries(project)
                 if project.manifest_path(s["run_id"]).is_file()]
    return summaries[::-1]


def previous_comparable(summaries: list[Summary], run_id: str) -> Summary | None:
    """The newest run older than ``run_id`` that finished with valid metrics."""
    for summary in summaries:  # newest first
        if summary["run_id"] < run_id and summary["status"] in COMPARABLE:
            return summary
    return None


def champion_metrics(manifest: Manifest, reports_dir: Path) -> tuple[str, dict[str, float]]:
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
    project = project_of(reports_dir)
    if isinstance(run_id, str) and project.manifest_path(run_id).is_file():
        try:
            return label, dict(load_manifest(project.run_dir(run_id)).get("metrics", {}))
        except (NbopsError, OSError) as exc:
            log.warning("nbops: cannot read champion run %s: %s", run_id, exc)
    return label, {}
