"""Figures a person reads in ten seconds: which features drifted, how, and what it cost.

Imported only by the monitoring notebook (matplotlib stays out of ``import nbops``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nbops.contracts import MonitorReportRecord
from nbops.monitoring._profile import (
    CategoricalReference,
    NumericReference,
    ReferenceProfile,
    category_codes,
    numeric_values,
)
from nbops.monitoring._status import severity

COLORS = {"ok": "#4c9a5b", "warn": "#e0a030", "alert": "#c8453c"}


def drift_overview(report: MonitorReportRecord) -> Figure:
    """Horizontal bars: PSI beyond noise per feature and for the scores, floors drawn.

    A bar past a line is flagged only if the change is also significant, so a
    feature can sit past ``psi warn`` in a small batch and stay green.
    """
    rows = list(report["features"].values())
    prediction = report["prediction"]
    if prediction:
        rows.append(prediction)
    # Worst last (barh draws bottom-up, so they end on top): status, then PSI beyond noise.
    rows.sort(key=lambda d: (severity(d["status"]), d["psi"] - d["psi_noise"]))
    figure = Figure(figsize=(7, 0.35 * max(len(rows), 3) + 1.2))
    axes = figure.subplots()
    names = [("scores (prediction)" if d["kind"] == "prediction" else d["name"]) for d in rows]
    # The floors apply to PSI beyond its sampling noise, so that is what the bars show.
    excess = [max(d["psi"] - d["psi_noise"], 0.0) for d in rows]
    axes.barh(names, excess, color=[COLORS[d["status"]] for d in rows])
    for y, (d, value) in enumerate(zip(rows, excess, strict=True)):
        if d["status"] != "ok" and d["reasons"]:  # say why, even when the bar is short
            axes.annotate(f" {d['reasons'][0]}", (value, y), va="center", fontsize=7,
                          color=COLORS[d["status"]])
    thresholds = report["thresholds"]
    for key, style in (("psi_warn", ":"), ("psi_alert", "--")):
        axes.axvline(thresholds[key], color="#555", linestyle=style, linewidth=1,
                     label=f"{key.replace('_', ' ')} {thresholds[key]:g}")
    axes.set_xlim(0, 1.35 * max([*excess, thresholds["psi_alert"]]))  # room for the notes
    axes.set_xlabel("PSI vs the champion's training data, beyond sampling noise "
                    "(colour = status)")
    axes.set_title(f"Verdict: {report['verdict'].upper()} — {report['rows']:,} rows")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def _numeric_panel(axes: Any, ref: NumericReference, values: np.ndarray, title: str) -> None:
    present = values[~np.isnan(values)]
    low, high = np.quantile(ref.sorted_values, [0.005, 0.995]) if ref.sorted_values.size else (0, 1)
    edges = np.linspace(low, high, 40)
    axes.hist(ref.sorted_values, bins=edges, density=True, alpha=0.5, label="reference",
              color="#6b8fbf")
    axes.hist(present, bins=edges, density=True, alpha=0.5, label="batch", color="#c8453c")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)


def _categorical_panel(
    axes: Any, ref: CategoricalReference, column: pd.Series, title: str
) -> None:
    codes = category_codes(column, ref.categories)
    labels = list(ref.categories) + ["(unseen)"]
    batch = np.bincount(np.where(codes == -1, len(ref.categories), codes)[codes >= -1],
                        minlength=len(labels))
    reference = np.append(ref.counts, 0)
    x = np.arange(len(labels))
    axes.bar(x - 0.2, reference / max(reference.sum(), 1), width=0.4, label="reference",
             color="#6b8fbf")
    axes.bar(x + 0.2, batch / max(batch.sum(), 1), width=0.4, label="batch", color="#c8453c")
    axes.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)


def top_feature_distributions(
    report: MonitorReportRecord, profile: ReferenceProfile, batch: pd.DataFrame, limit: int = 3
) -> Figure | None:
    """Reference vs batch distributions of the most drifted features (``None`` if none)."""
    names = [n for n in report["top_features"] if n in batch.columns][:limit]
    if not names:
        return None
    figure = Figure(figsize=(3.3 * len(names), 2.8))
    for axes, name in zip(np.atleast_1d(figure.subplots(1, len(names))), names, strict=True):
        drift = report["features"][name]
        title = f"{name}: {drift['status']} (PSI {drift['psi']:.3f})"
        ref = profile.features[name]
        if isinstance(ref, NumericReference):
            _numeric_panel(axes, ref, numeric_values(batch[name]), title)
        else:
            _categorical_panel(axes, ref, batch[name], title)
    figure.tight_layout()
    return figure


def scores_and_performance(
    report: MonitorReportRecord, profile: ReferenceProfile, scores: np.ndarray | None
) -> Figure | None:
    """The champion's score distribution (reference vs batch) and live vs reference ROC AUC."""
    performance = report.get("performance")
    panels = int(scores is not None and profile.scores is not None) + int(bool(performance))
    if panels == 0:
        return None
    figure = Figure(figsize=(4.2 * panels, 2.8))
    axes_list = list(np.atleast_1d(figure.subplots(1, panels)))
    if scores is not None and profile.scores is not None:
        axes = axes_list.pop(0)
        prediction = report["prediction"]
        status = prediction["status"] if prediction else "ok"
        _numeric_panel(axes, profile.scores, np.asarray(scores, float),
                       f"champion scores: {status}")
        axes.set_xlim(0, 1)
    if performance:
        axes = axes_list.pop(0)
        live = performance["live"].get("roc_auc")
        reference = performance["reference"].get("roc_auc")
        bars = {"reference": reference, "live": live}
        shown = {k: v for k, v in bars.items() if v is not None}
        axes.bar(list(shown), list(shown.values()),
                 color=["#6b8fbf", COLORS[performance["status"]]][: len(shown)])
        if reference is not None:
            floor = reference - report["thresholds"]["auc_drop_alert"]
            axes.axhline(floor, color="#555", linestyle="--", linewidth=1, label="alert below")
            axes.legend(fontsize=7)
        axes.set_ylim(min([0.5, *(v - 0.05 for v in shown.values())]), 1.0)
        for x, value in enumerate(shown.values()):
            axes.annotate(f"{value:.3f}", (x, value), ha="center", va="bottom", fontsize=8)
        axes.set_title(f"ROC AUC: {performance['status']}", fontsize=9)
    figure.tight_layout()
    return figure
