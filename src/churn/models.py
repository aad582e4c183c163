"""The models: a seeded gradient-boosting classifier and a logistic-regression baseline.

Each model is one scikit-learn ``Pipeline`` holding its preprocessing, so it
scores raw feature frames (the columns listed in ``feature_schema.json``).
Models are saved with ``skops`` (no pickle) and loaded back trusting only
scikit-learn, numpy and this project's own functions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from churn.features import build_preprocessor
from nbops.core import RegistryError

#: Threads used to fit and score models: fixed, so results do not depend on the
#: core count, and 1 because OpenMP threads spin-wait when the cores are shared
#: (parallel tasks, other kernels): fitting the default model on 2,700 rows took
#: 45 s with 2 threads on a busy 2-core machine and 0.8 s with 1.
TRAIN_THREADS = 1
#: Exact types a churn model file may hold besides nbops' defaults (never module prefixes:
#: numpy., scipy. and sklearn. each hold functions that run code when a file calls them).
CONVERTER_TYPES = ("churn.features._as_float", "churn.features._as_text")


def make_model(
    numeric: list[str],
    categorical: list[str],
    *,
    seed: int = 0,
    learning_rate: float = 0.05,
    max_iter: int = 100,
    max_depth: int | None = 3,
) -> Pipeline:
    """Preprocessing + ``HistGradientBoostingClassifier`` with early stopping off (seeded).

    Leaves of at least 50 rows and an L2 penalty of 5 keep the trees from
    chasing noise on small tables (the telco data has 5,282 training rows).
    """
    classifier = HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=max_iter,
        max_depth=max_depth,
        min_samples_leaf=50,
        l2_regularization=5.0,
        early_stopping=False,
        random_state=seed,
    )
    return Pipeline(
        [
            ("preprocess", build_preprocessor(numeric, categorical, scale=False)),
            ("model", classifier),
        ]
    )


def training_curve(model: Pipeline, X: pd.DataFrame, y: pd.Series, points: int = 25,
                   rows: int = 2000) -> list[tuple[int, float]]:
    """The boosted model's training log loss after each of about ``points`` iterations.

    ``[(iteration, log_loss), ...]`` from the fitted trees' staged predictions on
    every n-th training row (at most ``rows`` of them, preprocessed once): a
    learning curve without fitting again, for
    ``nbops.log_metric("train_log_loss", v, step=i)``; about 0.1 s.
    """
    stride = max(1, len(X) // rows)
    X, y = X.iloc[::stride], y.iloc[::stride]
    features = model[:-1].transform(X)
    classifier = model[-1]
    labels = np.asarray(y, dtype=np.float64)
    every = max(1, classifier.n_iter_ // max(1, points))
    curve = []
    for iteration, proba in enumerate(classifier.staged_predict_proba(features), start=1):
        if iteration % every == 0 or iteration == classifier.n_iter_:
            p = np.clip(proba[:, 1], 1e-15, 1 - 1e-15)
            loss = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
            curve.append((iteration, float(loss)))
    return curve


def make_baseline(numeric: list[str], categorical: list[str], *, seed: int = 0) -> Pipeline:
    """Preprocessing + a plain logistic regression."""
    return Pipeline(
        [
            ("preprocess", build_preprocessor(numeric, categorical, scale=True)),
            ("model", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )


def shuffle_labels(y: pd.Series, fraction: float, seed: int = 0) -> pd.Series:
    """Permute a ``fraction`` (0..1) of the labels among themselves.

    ``fraction=1.0`` severs every link between features and labels: the model
    learns nothing (ROC AUC near 0.5).  Used to test that quality gates catch a
    useless model.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("label_shuffle_fraction must be between 0 and 1")
    if fraction == 0.0:
        return y
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    values = y.to_numpy().copy()
    values[chosen] = values[rng.permutation(chosen)]
    return pd.Series(values, index=y.index, name=y.name)


def save(model: Pipeline, path: str | Path) -> Path:
    """Write ``model`` with ``skops.io.dump`` (atomically: temp file then rename).

    The archive is re-packed deterministically (:func:`churn.deterministic.repack_skops`),
    so equal models give byte-identical files.
    """
    import skops.io

    from churn.deterministic import repack_skops

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    skops.io.dump(model, tmp)
    repack_skops(tmp)
    tmp.replace(path)
    return path


def load(path: str | Path) -> Pipeline:
    """Load a model saved by :func:`save`, refusing any type nbops and this project do not
    trust by exact name."""
    import skops.io

    from nbops.registry import DEFAULT_TRUSTED_TYPES

    path = Path(path)
    if not path.exists():
        raise RegistryError(f"model file {path} does not exist", "run the train step first")
    untrusted = skops.io.get_untrusted_types(file=path)
    trusted = {*DEFAULT_TRUSTED_TYPES, *CONVERTER_TYPES}
    unexpected = sorted(t for t in untrusted if t not in trusted)
    if unexpected:
        raise RegistryError(
            f"model file {path} contains unexpected types {unexpected[:3]}",
            "only load models written by churn.models.save from a trusted run",
        )
    model: Pipeline = skops.io.load(path, trusted=untrusted)
    return model


class ModelView:
    """What the train notebook shows for a model: scikit-learn's diagram, or its text.

    scikit-learn's HTML diagram fails (``TypeError`` in its feature-name
    labels) for pipelines over very wide data, e.g. 2,000 columns; a display
    problem must never fail the step that trained and saved the model, so the
    view falls back to the estimator's short text form.
    """

    def __init__(self, model: Pipeline) -> None:
        self.model = model

    def _repr_html_(self) -> str:
        import html

        try:
            return str(self.model._repr_html_())
        except Exception:  # noqa: BLE001 - any display failure falls back to text
            return f"<pre>{html.escape(repr(self.model))}</pre>"

    def __repr__(self) -> str:
        return repr(self.model)


def view(model: Pipeline) -> ModelView:
    """A notebook display of ``model`` that works for any width of data."""
    return ModelView(model)
