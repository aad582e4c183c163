"""Score tables with a model, and measure a model on labelled data.

Used by ``nbops predict`` (batch scoring) and by promotion, which re-scores
the champion on the candidate's held-out data so that both are compared on
the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.core import DataError, RegistryError, check_input

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from nbops.core import FeatureSchemaRecord

# metric name -> True when higher is better
METRIC_DIRECTIONS: dict[str, bool] = {"roc_auc": True, "pr_auc": True, "f1": True, "brier": False}
_FORMATS = (".csv", ".parquet", ".pq")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file.

    Raises:
        DataError: missing, unsupported, empty or unreadable file.
    """
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise DataError(
            f"{path} has an unsupported extension {suffix or '(none)'!r}",
            "give a .csv or .parquet file",
        )
    if not path.is_file():
        raise DataError(f"input file {path} does not exist", "check the path")
    try:
        if suffix == ".csv":
            df = pd.read_csv(path)
        else:
            df = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"input file {path} is empty",
                        "give a file with a header and rows") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(
            f"cannot read {path} ({type(exc).__name__}: {exc})",
            "check that the file is a valid CSV or Parquet file",
        ) from exc
    if df.empty:
        raise DataError(f"input file {path} has no rows", "give a file with at least one row")
    return df


def positive_scores(model: Any, features: pd.DataFrame) -> np.ndarray:
    """Return the model's probability of the positive class for each row."""
    proba = model.predict_proba(features)
    scores: np.ndarray = proba[:, -1]  # the model is any scikit-learn-like object: untyped
    return scores


def predict_table(
    model: Any, df: pd.DataFrame, feature_schema: FeatureSchemaRecord, threshold: float = 0.5
) -> tuple[pd.DataFrame, list[str]]:
    """Return ``df`` plus ``score`` (positive-class probability) and ``prediction`` columns.

    Also returns notes about the input (e.g. categories unseen in training).

    Raises:
        ValidationError: missing or mistyped feature columns, all named.
        RegistryError: the model itself refuses columns its schema accepts.
    """
    checked = check_input(df, feature_schema)
    try:
        scores = positive_scores(model, checked.frame)
    except (ValueError, KeyError, TypeError) as exc:  # the schema passed, the model refused
        raise RegistryError(
            f"the model could not score the input its feature schema accepts: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            "the registered feature schema does not describe this model's inputs; register "
            "the model again from a pipeline run (which records both together)",
        ) from None
    out = df.copy()
    out["score"] = scores
    out["prediction"] = (scores >= threshold).astype("int64")
    return out, checked.warnings


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV or Parquet, by extension, atomically."""
    from nbops.core import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise DataError(
            f"output {path} has an unsupported extension {suffix or '(none)'!r}",
            "name the output .csv or .parquet",
        )
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)


def evaluate(model: Any, df: pd.DataFrame, feature_schema: FeatureSchemaRecord,
             target: str | None = None) -> dict[str, float]:
    """Measure ``model`` on labelled ``df``.

    ``feature_schema`` is the model's own (its input columns); ``target``
    defaults to the target it names.

    Returns ROC AUC, PR AUC (average precision), F1 at 0.5 and the Brier score.

    Raises:
        DataError: the target column is absent or has a single class.
    """
    from nbops.core import classification_metrics

    target = target or feature_schema.get("target")
    if not target or target not in df.columns:
        raise DataError(
            f"the held-out data has no target column {target!r}",
            "make the features step keep the target in test.parquet",
        )
    y = df[target].astype("int64").to_numpy()
    if len(set(y.tolist())) < 2:
        raise DataError(
            "the held-out data has a single class, so ROC AUC is undefined",
            "use a larger or stratified test split",
        )
    checked = check_input(df, feature_schema)
    scores = positive_scores(model, checked.frame)
    return classification_metrics(y, scores)
