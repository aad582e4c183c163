"""The monitoring report: one batch's verdict and every check behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.contracts import MONITOR_REPORT, JSONObject, MonitoredChampion, MonitorReportRecord
from nbops.core import DataError, atomic_write_json, schema_errors
from nbops.monitoring._batch_checks import BatchProblem
from nbops.monitoring._drift import FeatureDrift
from nbops.monitoring._performance import PerformanceCheck
from nbops.monitoring._status import ALERT, OK, severity

SCHEMA_VERSION = 1
SCHEMA_NAME = "monitor_report"


@dataclass
class MonitorReport:
    """The outcome of monitoring one batch.

    Attributes:
        verdict: ``ok``, ``warn`` or ``alert``.
        rows: Rows in the batch.
        features: Per-feature drift, in schema order.
        prediction: Drift of the champion's scores, when it was scored.
        performance: Live performance, when labels were present.
        problems: Why (parts of) the batch could not be monitored.
        thresholds: The thresholds used.
        alpha_each: Per-test significance level after the Bonferroni split.
        tests: Number of statistical tests sharing ``alpha``.
        batch: Where the batch came from (``{"source": ...}``).
        champion: Which model it was compared with (``{"model", "version"}``).
    """

    verdict: str
    rows: int
    features: list[FeatureDrift]
    prediction: FeatureDrift | None
    performance: PerformanceCheck | None
    problems: list[BatchProblem]
    thresholds: dict[str, float]
    alpha_each: float
    tests: int
    batch: JSONObject = field(default_factory=dict)
    champion: MonitoredChampion = field(default_factory=MonitoredChampion)

    @property
    def top_features(self) -> list[str]:
        """Drifted features, worst first (status, then PSI), at most ``top_k``."""
        drifted = [f for f in self.features if f.status != OK]
        drifted.sort(key=lambda f: (-severity(f.status), -f.psi, f.name))
        return [f.name for f in drifted[: int(self.thresholds.get("top_k", 5))]]

    @property
    def summary(self) -> str:
        """One line a person reads first: the verdict and what drove it."""
        missing = [p.column for p in self.problems if p.kind == "missing_column"]
        parts = [p.message for p in self.problems if p.kind != "missing_column" or len(missing) < 3]
        if len(missing) >= 3:
            parts.insert(0, f"{len(missing)} columns of the champion's feature schema are missing "
                            f"from the batch ({', '.join(map(str, missing))}); add them")
        by_name = {f.name: f for f in self.features}
        drifted = [f"{name} ({'; '.join(by_name[name].reasons)})" for name in self.top_features]
        if drifted:
            parts.append("drift in " + ", ".join(drifted))
        if self.prediction is not None and self.prediction.status != OK:
            parts.append("prediction drift (" + "; ".join(self.prediction.reasons) + ")")
        if self.performance is not None and self.performance.status != OK:
            parts.append("; ".join(self.performance.reasons))
        if not parts:
            parts.append(f"no drift in {len(self.features)} features over {self.rows} rows")
        return f"{self.verdict}: " + "; ".join(parts)

    @property
    def alert(self) -> bool:
        return self.verdict == ALERT

    def to_dict(self) -> dict[str, Any]:
        """:meth:`record` as a plain dict to extend (``nbops monitor`` adds ``retrain``)."""
        return dict(self.record())

    def record(self) -> MonitorReportRecord:
        """The JSON document (``monitor_report.schema.json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": self.verdict,
            "summary": self.summary,
            "top_features": self.top_features,
            "rows": self.rows,
            "batch": dict(self.batch),
            "champion": self.champion.copy(),
            "thresholds": dict(self.thresholds),
            "alpha_each": self.alpha_each,
            "tests": self.tests,
            "problems": [p.to_dict() for p in self.problems],
            "features": {f.name: f.to_dict() for f in self.features},
            "prediction": self.prediction.to_dict() if self.prediction else None,
            "performance": self.performance.to_dict() if self.performance else None,
        }


def check_report(data: Any, where: str) -> MonitorReportRecord:
    """Validate a monitoring report document against its shipped JSON Schema.

    Raises:
        DataError: the document does not match ``monitor_report.schema.json``.
    """
    data = MONITOR_REPORT.upgrade(data, where)
    errors = schema_errors(data, SCHEMA_NAME)
    if errors:
        raise DataError(
            f"{where} is not a valid nbops monitoring report ({'; '.join(errors[:3])})",
            "re-run the monitoring step to write it again",
        )
    report: MonitorReportRecord = data
    return report


def write_report(report: MonitorReport, path: Path | str) -> MonitorReportRecord:
    """Write ``report`` as validated JSON to ``path`` atomically; return the document."""
    data = check_report(report.record(), "the monitoring report being written")
    atomic_write_json(Path(path), data)
    return data


def read_report(path: Path | str) -> MonitorReportRecord:
    """Read and validate a monitoring report written by :func:`write_report`.

    Raises:
        DataError: the file is missing, not JSON, or not a valid report.
    """
    import json

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"the monitoring report {path} does not exist",
            "run the monitoring step (ploomber build -e pipeline.monitor.yaml) first",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f"the monitoring report {path} is not JSON ({exc})",
            "re-run the monitoring step to write it again",
        ) from None
    return check_report(data, str(path))
