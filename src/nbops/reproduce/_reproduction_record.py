"""The reproduction record and where it is kept.

Each ``nbops reproduce`` writes, inside the reproduced run's folder::

    reports/runs/<run_id>/reproductions/<id>.json   the record (schema: reproduction)
    reports/runs/<run_id>/reproductions/<id>.html   the report for people

and appends a summary to the run manifest's ``reproductions`` section
(``{"items": [{id, verdict, first_diverged, started_at, report, record}, ...]}``)
through :func:`nbops.runs._ledger.amend_section`, so the run page links it.
``<id>`` is the run id the reproduction's own (scratch) build got.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from nbops.contracts import (
    REPRODUCTION_RECORD,
    Diverged,
    JSONValue,
    ReproducedCode,
    ReproducedTask,
    ReproductionBuild,
    ReproductionInputs,
    ReproductionItem,
    ReproductionParameters,
    ReproductionRecord,
)
from nbops.core import IntegrityError, LedgerError, Project, atomic_write_json, schema_errors
from nbops.reproduce._compare import TaskResult
from nbops.reproduce._environment import EnvironmentReport

SCHEMA = "reproduction"
SECTION = "reproductions"
FOLDER = "reproductions"


def _finite(value: JSONValue) -> JSONValue:
    """``value`` with each non-finite float, at any depth, written as text (JSON has none)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _finite_task(task: ReproducedTask) -> ReproducedTask:
    """``task`` with its checks' values made finite: only they hold values nbops did not
    make (metrics, parameters); every other number in a record is a duration or a
    validated tolerance."""
    for check in task["checks"]:
        check["recorded"] = _finite(check["recorded"])
        check["reproduced"] = _finite(check["reproduced"])
    return task


@dataclass
class Reproduction:
    """Everything one reproduction found (see ``reproduction.schema.json``)."""

    id: str
    run_id: str
    started_at: str
    finished_at: str
    duration_s: float
    verdict: str
    first_diverged: TaskResult | None
    tasks: list[TaskResult]
    environment: EnvironmentReport
    code: ReproducedCode
    parameters: ReproductionParameters
    inputs: ReproductionInputs
    build: ReproductionBuild
    warnings: list[str]
    nbops_version: str

    @property
    def reproduced(self) -> bool:
        """Whether the verdict is ``reproduced`` (bit-identical)."""
        return self.verdict == "reproduced"

    def to_dict(self) -> ReproductionRecord:
        """The JSON record."""
        first: Diverged | None = None
        if self.first_diverged is not None:
            first = {"task": self.first_diverged.task, "reason": self.first_diverged.reason}
        return {
            "schema_version": 1,
            "id": self.id,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "verdict": self.verdict,
            "first_diverged": first,
            "tasks": [_finite_task(t.to_dict()) for t in self.tasks],
            "environment": self.environment.to_dict(),
            "code": self.code,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "build": self.build,
            "warnings": list(self.warnings),
            "nbops_version": self.nbops_version,
        }


def folder(project: Project, run_id: str) -> Path:
    """``reports/runs/<run_id>/reproductions/``."""
    return project.run_dir(run_id) / FOLDER


def write_record(project: Project, record: ReproductionRecord) -> Path:
    """Validate and atomically write a reproduction record; return its path."""
    errors = schema_errors(record, SCHEMA)
    if errors:
        raise LedgerError(
            f"nbops produced an invalid reproduction record: {'; '.join(errors[:3])}",
            "this is a bug in nbops; please report it with the message above",
        )
    path = folder(project, record["run_id"]) / f"{record['id']}.json"
    atomic_write_json(path, record)
    return path


def read_record(path: Path) -> ReproductionRecord:
    """Load and validate a reproduction record.

    Raises:
        IntegrityError: it is not JSON or does not match the schema.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(
            f"reproduction record {path} cannot be read ({exc})",
            "delete it and run nbops reproduce again",
        ) from None
    data = REPRODUCTION_RECORD.upgrade(data, f"reproduction record {path}")
    errors = schema_errors(data, SCHEMA)
    if errors:
        raise IntegrityError(
            f"reproduction record {path} does not match its schema ({errors[0]})",
            "delete it and run nbops reproduce again",
        )
    record: ReproductionRecord = data
    return record


def summary(record: ReproductionRecord) -> ReproductionItem:
    """The entry the run manifest's ``reproductions`` section keeps for one record."""
    return {
        "id": record["id"],
        "started_at": record["started_at"],
        "verdict": record["verdict"],
        "first_diverged": record["first_diverged"],
        "environment_identical": record["environment"]["identical"],
        "report": f"{FOLDER}/{record['id']}.html",
        "record": f"{FOLDER}/{record['id']}.json",
    }


def link_from_run(project: Project, record: ReproductionRecord) -> None:
    """Add the record's summary to the run manifest's ``reproductions`` section."""
    from nbops.contracts import REPRODUCTIONS, ReproductionsSection
    from nbops.runs import amend_section, load_manifest

    manifest = load_manifest(project, record["run_id"])
    section = REPRODUCTIONS.read(manifest) or {"items": []}
    items = [item for item in section["items"] if item["id"] != record["id"]]
    items.append(summary(record))
    updated: ReproductionsSection = {"items": items}
    amend_section(project, record["run_id"], REPRODUCTIONS, updated)
