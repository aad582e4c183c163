"""How often does the monitor alert on clean data, and how often does it catch drift?

Two worlds, each with a fresh seed per trial:

``churn`` — the churn generator's injected drift (``churn.generator.DriftSpec``):
  reference = month 0 (the champion's 20,000 training rows, plus 5,000 held-out
  rows for its reference ROC AUC); champion = a logistic regression trained on
  them; batches = month 1 with no drift, a 0.1 / 0.2 / 0.5 SD shift of one
  feature (``--feature``), or a concept drift calibrated to lower the
  champion's ROC AUC by 0.05.
``gaussian`` — the hardest case for a shift: 18 independent N(0, 1) features
  and 2 categorical ones, a shift of x0 by 0.1 / 0.2 / 0.5, labels from a
  logistic model whose true probability is the champion's score, concept drift
  = a share of labels redrawn at random so the ROC AUC drops by 0.05.

Batch sizes 1,000 / 10,000 / 100,000 rows are prefixes of one generated batch.

"caught" means verdict ``alert`` (and, for a shift, the shifted feature named
among the top drifted features); a false alarm is an ``alert`` on a clean
batch. ``warn+`` counts ``warn`` or ``alert``.

Run: ``python -m benchmarks.drift_detection [--trials 200] [--feature monthly_charges]``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from churn import generator as gen
from nbops.monitoring import Thresholds, build_profile, check_batch

SIZES = (1_000, 10_000, 100_000)
SHIFTS = (0.1, 0.2, 0.5)
REFERENCE_ROWS = 20_000
TEST_ROWS = 5_000
AUC_DROP = 0.05
RESULTS = Path(__file__).parent / "results" / "drift_detection.json"


def churn_schema() -> dict[str, Any]:
    """The generator's feature schema, in the registry's format."""
    numeric = [{"name": name, "dtype": "float64"} for name in gen.NUMERIC_STD]
    categorical = [
        {"name": name, "dtype": "category", "categories": list(levels)}
        for name, levels in gen.CATEGORIES.items()
    ]
    return {"schema_version": 1, "target": gen.TARGET, "features": numeric + categorical}


def make_model() -> Any:
    """A small scikit-learn champion: impute, scale/one-hot, logistic regression."""
    numeric = list(gen.NUMERIC_STD)
    categorical = list(gen.CATEGORIES)
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    return make_pipeline(prep, LogisticRegression(max_iter=500))


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(gen.NUMERIC_STD) + list(gen.CATEGORIES)].copy()
    for name in gen.NUMERIC_STD:
        out[name] = pd.to_numeric(out[name]).astype("float64")
    for name in gen.CATEGORIES:
        out[name] = out[name].astype(object).where(out[name].notna(), np.nan)
    return out


def score(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """The champion's churn probability for every row."""
    return np.asarray(model.predict_proba(_features(frame))[:, 1])


def calibrate_concept(seed: int = 12345, rows: int = 200_000) -> tuple[float, float]:
    """The ``DriftSpec.concept`` strength that lowers the champion's ROC AUC by AUC_DROP."""
    train = gen.generate_month(0, rows, seed=seed)
    model = make_model().fit(_features(train), train[gen.TARGET])
    clean = gen.generate_month(1, rows, seed=seed)
    base = roc_auc_score(clean[gen.TARGET], score(model, clean))
    low, high = 0.0, 1.0
    for _ in range(12):
        mid = (low + high) / 2
        drifted = gen.generate_month(1, rows, seed=seed, drift=gen.DriftSpec(1, concept=mid))
        drop = base - roc_auc_score(drifted[gen.TARGET], score(model, drifted))
        low, high = (mid, high) if drop < AUC_DROP else (low, mid)
    return (low + high) / 2, base


@dataclass
class Scenario:
    """One kind of batch: a name, its drift, and the feature that should be named."""

    name: str
    shift: float = 0.0
    concept: bool = False
    feature: str | None = None


def scenarios(feature: str) -> list[Scenario]:
    """No drift, three covariate shifts of ``feature``, one concept drift."""
    out = [Scenario("no drift")]
    out += [Scenario(f"{shift} SD shift of {feature}", shift, feature=feature) for shift in SHIFTS]
    out.append(Scenario(f"concept drift, ROC AUC −{AUC_DROP}", concept=True))
    return out


@dataclass
class Trial:
    """One reference (profile + champion) and a way to draw batches against it."""

    profile: Any
    batch: Any  # (Scenario, rows) -> (frame, scores)


class ChurnWorld:
    """Reference and batches from the churn generator; a logistic-regression champion."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        self.concept, self.base_auc = calibrate_concept()

    def describe(self) -> str:
        return (
            f"churn generator, reference {REFERENCE_ROWS:,} rows (+{TEST_ROWS:,} test), "
            f"concept strength {self.concept:.3f} (champion ROC AUC {self.base_auc:.3f})"
        )

    def trial(self, index: int, thresholds: Thresholds) -> Trial:
        seed = 1_000 + index
        month0 = gen.generate_month(0, REFERENCE_ROWS + TEST_ROWS, seed=seed)
        train, test = month0.iloc[:REFERENCE_ROWS], month0.iloc[REFERENCE_ROWS:]
        model = make_model().fit(_features(train), train[gen.TARGET])
        test_scores = score(model, test)
        positives = int(test[gen.TARGET].sum())
        profile = build_profile(
            train,
            churn_schema(),
            bins=thresholds.bins,
            scores=score(model, train),
            metrics={"roc_auc": roc_auc_score(test[gen.TARGET], test_scores)},
            metrics_counts=(positives, len(test) - positives),
        )

        def batch(scenario: Scenario, rows: int) -> tuple[pd.DataFrame, np.ndarray]:
            drift = None
            if scenario.feature:
                drift = gen.DriftSpec(1, covariate={scenario.feature: scenario.shift})
            elif scenario.concept:
                drift = gen.DriftSpec(1, concept=self.concept)
            frame = gen.generate_month(1, rows, seed=seed, drift=drift)
            return frame, score(model, frame)

        return Trial(profile, batch)


class GaussianWorld:
    """Independent N(0, 1) features; the champion's score is the true churn probability."""

    numeric = 18
    coefficients = np.r_[np.linspace(1.0, 0.1, 6), np.zeros(12)]
    levels = (("a", "b", "c"), ("u", "v", "w", "x"))

    def __init__(self) -> None:
        big = self._frame(np.random.default_rng(7), 400_000, 0.0)
        auc = roc_auc_score(big["y"], big["score"])
        # Labels redrawn at random (share q) pull the ROC AUC towards 0.5 linearly.
        self.redraw = AUC_DROP / (auc - 0.5)
        self.base_auc = auc

    def describe(self) -> str:
        return (
            f"gaussian: {self.numeric} N(0,1) + {len(self.levels)} categorical features, "
            f"reference {REFERENCE_ROWS:,} rows, champion ROC AUC {self.base_auc:.3f}"
        )

    def schema(self) -> dict[str, Any]:
        numeric = [{"name": f"x{i}", "dtype": "float64"} for i in range(self.numeric)]
        categorical = [
            {"name": f"c{i}", "dtype": "category", "categories": list(levels)}
            for i, levels in enumerate(self.levels)
        ]
        return {"schema_version": 1, "target": "y", "features": numeric + categorical}

    def _frame(
        self, rng: np.random.Generator, rows: int, shift: float, redraw: float = 0.0
    ) -> pd.DataFrame:
        x = rng.standard_normal((rows, self.numeric))
        x[:, 0] += shift
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(self.numeric)])
        for i, levels in enumerate(self.levels):
            frame[f"c{i}"] = rng.choice(np.array(levels, dtype=object), size=rows)
        score_ = 1 / (1 + np.exp(1.5 - x @ self.coefficients))
        y = (rng.random(rows) < score_).astype(np.int8)
        noisy = rng.random(rows) < redraw
        y[noisy] = (rng.random(int(noisy.sum())) < y.mean()).astype(np.int8)
        frame["y"], frame["score"] = y, score_
        return frame

    def trial(self, index: int, thresholds: Thresholds) -> Trial:
        rng = np.random.default_rng([index, 99])
        reference = self._frame(rng, REFERENCE_ROWS + TEST_ROWS, 0.0)
        train, test = reference.iloc[:REFERENCE_ROWS], reference.iloc[REFERENCE_ROWS:]
        positives = int(test["y"].sum())
        profile = build_profile(
            train,
            self.schema(),
            bins=thresholds.bins,
            scores=train["score"].to_numpy(),
            metrics={"roc_auc": roc_auc_score(test["y"], test["score"])},
            metrics_counts=(positives, len(test) - positives),
        )

        def batch(scenario: Scenario, rows: int) -> tuple[pd.DataFrame, np.ndarray]:
            frame = self._frame(
                rng, rows, scenario.shift, self.redraw if scenario.concept else 0.0
            )
            return frame, frame["score"].to_numpy()

        return Trial(profile, batch)


def run_world(
    world: Any, plan: list[Scenario], trials: int, thresholds: Thresholds
) -> dict[tuple[str, int], tuple[float, float]]:
    """Alert and warn-or-alert rates per (scenario, rows) over ``trials`` references."""
    counts: dict[tuple[str, int], list[int]] = {}
    for index in range(trials):
        trial = world.trial(index, thresholds)
        for scenario in plan:
            frame, scores = trial.batch(scenario, max(SIZES))
            for size in SIZES:
                report = check_batch(trial.profile, frame.iloc[:size], thresholds,
                                     scores=scores[:size])
                caught = report.verdict == "alert"
                if scenario.feature is not None:
                    caught = caught and scenario.feature in report.top_features
                cell = counts.setdefault((scenario.name, size), [0, 0])
                cell[0] += caught
                cell[1] += report.verdict != "ok"
    return {key: (c / trials, w / trials) for key, (c, w) in counts.items()}


def table(rates: dict[tuple[str, int], tuple[float, float]], plan: list[Scenario]) -> str:
    """A markdown table: alert rate (warn-or-alert rate) per scenario and size."""
    header = "| batch | " + " | ".join(f"{size:,} rows" for size in SIZES) + " |"
    lines = [header, "|---|" + "---:|" * len(SIZES)]
    for scenario in plan:
        cells = []
        for size in SIZES:
            alert, warn = rates[(scenario.name, size)]
            cells.append(f"{alert:.1%} ({warn:.0%})")
        label = scenario.name + (" — false alarms" if scenario.name == "no drift" else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--world", choices=("churn", "gaussian"), default="churn")
    parser.add_argument("--feature", default="age", choices=list(gen.NUMERIC_STD))
    args = parser.parse_args(argv)
    thresholds = Thresholds()
    started = time.perf_counter()
    world: Any
    if args.world == "churn":
        world, feature = ChurnWorld(args.feature), args.feature
    else:
        world, feature = GaussianWorld(), "x0"
    plan = scenarios(feature)
    rates = run_world(world, plan, args.trials, thresholds)
    text = table(rates, plan)
    note = (
        f"{args.trials} trials; {world.describe()}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(text + "\n\n" + note)  # noqa: T201 - a benchmark script reports on stdout
    out = RESULTS.with_name(f"drift_detection_{args.world}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "world": args.world,
                "trials": args.trials,
                "feature": feature,
                "note": note,
                "thresholds": thresholds.to_dict(),
                "rates": [
                    {"scenario": name, "rows": size, "alert": a, "warn_or_alert": w}
                    for (name, size), (a, w) in rates.items()
                ],
                "table": text,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
