"""Monitor a batch against a registered champion: its data, its scores, its metrics.

The registry (a sibling feature) is not imported here: callers pass the
champion's registry record and its loaded model (``nbops.load_model``), and
this module reads the training and test data the record points to from the
content store.

* Feature drift is measured against the champion's **training** data.
* Prediction drift is measured against the champion's scores on its
  **held-out test** data: a boosted model's scores on its own training rows
  are more confident than on any new data, which would look like drift.
* Live performance is compared with the champion's registered metrics, with
  the test set's positives and negatives setting the reference's noise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbops.contracts import FeatureSchemaRecord, JSONObject
from nbops.core import ContentStore, RegistryError, roc_auc
from nbops.monitoring._batch_check import check_batch
from nbops.monitoring._batch_checks import BatchProblem, find_problems
from nbops.monitoring._profile import ReferenceProfile, build_profile, numeric_values
from nbops.monitoring._report import MonitorReport
from nbops.monitoring._thresholds import Thresholds

logger = logging.getLogger("nbops")

# Problems that leave the model without the input it needs.
UNSCORABLE = frozenset({"empty", "missing_column", "wrong_type"})


@dataclass
class Champion:
    """A registered model and the data it was trained and tested on.

    Attributes:
        name: Registered model name.
        version: Registered version number.
        model: The loaded model (``predict_proba``).
        schema: Its feature schema.
        training: The training data.
        test: The held-out test data (``None`` if not recorded).
        metrics: Its registered metrics (``roc_auc`` …).
    """

    name: str
    version: int | None
    model: Any
    schema: FeatureSchemaRecord
    training: pd.DataFrame
    test: pd.DataFrame | None
    metrics: dict[str, float]

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    @classmethod
    def from_record(
        cls, root: Path | str, name: str, record: Mapping[str, Any], model: Any
    ) -> Champion:
        """Read the champion's training and test data from the project's content store.

        Raises:
            RegistryError: the record lacks its data, or the stored files are gone.
        """
        store = ContentStore(Path(root) / ".nbops" / "store")
        label = f"{name}:{record.get('version')}"

        def table(key: str) -> pd.DataFrame | None:
            entry = record.get(key)
            if not entry:
                return None
            path = store.path_for(entry["hash"])
            if not path.is_file():
                from nbops.remote import fetch_for

                fetch_for(Path(root), entry["hash"], label)
            if not path.is_file():
                raise RegistryError(
                    f"the {key.replace('_', ' ')} of {label} ({entry['hash']}) is missing "
                    "from the content store, so there is nothing to compare new data with",
                    "restore .nbops/store, or retrain and register a new champion",
                )
            return pd.read_parquet(path)

        training = table("training_data")
        if training is None:
            raise RegistryError(
                f"{label} was registered without its training data",
                "retrain and register the champion with nbops' registry step",
            )
        return cls(
            name=name,
            version=record.get("version"),
            model=model,
            schema=_feature_schema(record),
            training=training,
            test=table("test_data"),
            metrics={k: float(v) for k, v in (record.get("metrics") or {}).items()},
        )

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Positive-class probability for every row of ``frame``."""
        names = [spec["name"] for spec in self.schema["features"]]
        proba = self.model.predict_proba(frame[names])
        return np.asarray(proba)[:, -1].astype(np.float64)

    def profile(self, thresholds: Thresholds) -> ReferenceProfile:
        """The reference profile of this champion (training data, test scores, metrics)."""
        reference_scores, counts = None, None
        scored = self.test if self.test is not None and len(self.test) else self.training
        reference_scores = self.score(scored)
        target = self.schema.get("target")
        metrics = dict(self.metrics)
        if target and target in scored.columns:
            labels = numeric_values(scored[target])
            known = ~np.isnan(labels)
            positives = int(labels[known].sum())
            counts = (positives, int(known.sum()) - positives)
            if "roc_auc" not in metrics and min(counts) > 0:
                metrics["roc_auc"] = roc_auc(labels[known], reference_scores[known])
        return build_profile(
            self.training,
            self.schema,
            bins=thresholds.bins,
            scores=reference_scores,
            metrics=metrics,
            metrics_counts=counts,
        )


def _feature_schema(record: Mapping[str, Any]) -> FeatureSchemaRecord:
    """A copy of the feature schema the registry recorded with the version."""
    recorded: FeatureSchemaRecord = record["feature_schema"]
    return recorded.copy()


def monitor(
    champion: Champion,
    batch: pd.DataFrame,
    thresholds: Thresholds | None = None,
    batch_info: JSONObject | None = None,
    profile: ReferenceProfile | None = None,
) -> MonitorReport:
    """Score ``batch`` with the champion (when it can be scored) and check it.

    Never raises on a bad batch: problems end up in the report as an ``alert``.
    """
    thresholds = thresholds or Thresholds()
    profile = profile or champion.profile(thresholds)
    scores = None
    extra: list[BatchProblem] = []
    if not any(p.kind in UNSCORABLE for p in find_problems(profile, batch)):
        try:
            scores = champion.score(batch)
        except (ValueError, TypeError, KeyError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            extra.append(
                BatchProblem(
                    "scoring",
                    None,
                    f"The champion {champion.label} could not score the batch ({reason}); "
                    "fix the columns named above or the batch's types.",
                )
            )
    report = check_batch(
        profile,
        batch,
        thresholds,
        scores=scores,
        batch_info=batch_info,
        champion={"model": champion.name, "version": champion.version},
    )
    if extra:
        report.problems.extend(extra)
        report.verdict = "alert"
    return report


def unreadable_report(
    message: str, thresholds: Thresholds | None = None, batch_info: JSONObject | None = None
) -> MonitorReport:
    """An ``alert`` report for a batch that could not even be read."""
    thresholds = thresholds or Thresholds()
    return MonitorReport(
        verdict="alert",
        rows=0,
        features=[],
        prediction=None,
        performance=None,
        problems=[BatchProblem("unreadable", None, message)],
        thresholds=thresholds.to_dict(),
        alpha_each=thresholds.alpha,
        tests=1,
        batch=dict(batch_info or {}),
    )

