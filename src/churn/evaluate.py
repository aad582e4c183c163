"""Evaluation: metrics, the model-vs-baseline verdict, and the plots."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from nbops.core import atomic_write_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS_SCHEMA_VERSION = 1


def metrics(
    y_true: pd.Series | np.ndarray, proba: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), F1 at ``threshold``, Brier score."""
    y = np.asarray(y_true).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y, proba)),
        "pr_auc": float(average_precision_score(y, proba)),
        "f1": float(f1_score(y, (proba >= threshold).astype(int), zero_division=0.0)),
        "brier": float(brier_score_loss(y, proba)),
    }


def verdict(model: dict[str, float], baseline: dict[str, float], key: str = "roc_auc") -> str:
    """One sentence: does the model beat the baseline on ``key``?"""
    delta = model[key] - baseline[key]
    if delta > 0:
        return (
            f"The model beats the baseline: {key} {model[key]:.3f} vs {baseline[key]:.3f} "
            f"(+{delta:.3f})."
        )
    return (
        f"The model does NOT beat the baseline: {key} {model[key]:.3f} vs "
        f"{baseline[key]:.3f} ({delta:+.3f}); prefer the baseline or improve the model."
    )


def _metrics_validator() -> Any:
    import jsonschema

    text = resources.files("churn").joinpath("schemas/metrics.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


def write_metrics(
    path: str | Path,
    model: dict[str, float],
    baseline: dict[str, float],
    verdict_text: str,
    threshold: float,
    n_test: int,
) -> Path:
    """Write ``metrics.json`` (schema-checked, atomic)."""
    data = {
        "schema_version": METRICS_SCHEMA_VERSION,
        "model": model,
        "baseline": baseline,
        "beats_baseline": model["roc_auc"] > baseline["roc_auc"],
        "verdict": verdict_text,
        "threshold": threshold,
        "n_test": int(n_test),
    }
    _metrics_validator().validate(data)
    atomic_write_json(Path(path), data)
    return Path(path)


def read_metrics(path: str | Path) -> dict[str, Any]:
    """Read and schema-check a ``metrics.json`` written by :func:`write_metrics`."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    _metrics_validator().validate(data)
    return data


def predictions(
    test: pd.DataFrame,
    target: str,
    proba: np.ndarray,
    baseline_proba: np.ndarray,
    id_columns: list[str],
    threshold: float = 0.5,
) -> pd.DataFrame:
    """The test rows' ids, label, both models' scores and the model's decision."""
    out = test[id_columns].copy() if id_columns else pd.DataFrame(index=test.index)
    out[target] = test[target].to_numpy()
    out["score"] = proba
    out["baseline_score"] = baseline_proba
    out["predicted"] = (proba >= threshold).astype("int8")
    return out.reset_index(drop=True)


def _figure(title: str) -> tuple[Figure, object]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5, 4))
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def plot_roc(y: np.ndarray, curves: dict[str, np.ndarray]) -> Figure:
    """ROC curves of each named score."""
    fig, ax = _figure("ROC curve")
    for name, proba in curves.items():
        fpr, tpr, _ = roc_curve(y, proba)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, proba):.3f})")  # type: ignore[attr-defined]
    ax.plot([0, 1], [0, 1], "k:", lw=1)  # type: ignore[attr-defined]
    ax.set_xlabel("false positive rate")  # type: ignore[attr-defined]
    ax.set_ylabel("true positive rate")  # type: ignore[attr-defined]
    ax.legend(loc="lower right")  # type: ignore[attr-defined]
    return fig


def plot_pr(y: np.ndarray, curves: dict[str, np.ndarray]) -> Figure:
    """Precision-recall curves of each named score."""
    fig, ax = _figure("Precision-recall curve")
    for name, proba in curves.items():
        precision, recall, _ = precision_recall_curve(y, proba)
        ax.plot(recall, precision, label=f"{name} (AP {average_precision_score(y, proba):.3f})")  # type: ignore[attr-defined]
    ax.axhline(float(np.mean(y)), color="k", ls=":", lw=1)  # type: ignore[attr-defined]
    ax.set_xlabel("recall")  # type: ignore[attr-defined]
    ax.set_ylabel("precision")  # type: ignore[attr-defined]
    ax.legend(loc="upper right")  # type: ignore[attr-defined]
    return fig


def plot_calibration(y: np.ndarray, curves: dict[str, np.ndarray], bins: int = 10) -> Figure:
    """Reliability diagram: mean predicted probability vs observed churn rate."""
    fig, ax = _figure("Calibration")
    for name, proba in curves.items():
        observed, predicted = calibration_curve(y, proba, n_bins=bins, strategy="quantile")
        ax.plot(predicted, observed, marker="o", label=name)  # type: ignore[attr-defined]
    ax.plot([0, 1], [0, 1], "k:", lw=1)  # type: ignore[attr-defined]
    ax.set_xlabel("mean predicted probability")  # type: ignore[attr-defined]
    ax.set_ylabel("observed churn rate")  # type: ignore[attr-defined]
    ax.legend(loc="upper left")  # type: ignore[attr-defined]
    return fig


def plot_confusion(y: np.ndarray, proba: np.ndarray, threshold: float = 0.5) -> Figure:
    """Confusion matrix at ``threshold``, counts annotated."""
    matrix = confusion_matrix(y, (proba >= threshold).astype(int), labels=[0, 1])
    fig, ax = _figure(f"Confusion matrix (threshold {threshold})")
    ax.imshow(matrix, cmap="Blues")  # type: ignore[attr-defined]
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=color)  # type: ignore[attr-defined]
    ax.set_xticks([0, 1], ["stays (0)", "churns (1)"])  # type: ignore[attr-defined]
    ax.set_yticks([0, 1], ["stays (0)", "churns (1)"])  # type: ignore[attr-defined]
    ax.set_xlabel("predicted")  # type: ignore[attr-defined]
    ax.set_ylabel("actual")  # type: ignore[attr-defined]
    return fig
