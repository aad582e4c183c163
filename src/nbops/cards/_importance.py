"""Which inputs the model leans on: permutation importance on the test set.

scikit-learn's :func:`~sklearn.inspection.permutation_importance` shuffles one
column at a time and measures how much the score drops, ``repeats`` times per
column; the card keeps the mean drop and its spread. On a large test set a
random sample of ``max_rows`` rows is used (scored once per column and repeat).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nbops.contracts import Importance, ImportanceItem


def permutation_importances(model: Any, features: pd.DataFrame, y: np.ndarray, *,
                            scoring: str = "roc_auc", repeats: int = 5, seed: int = 0,
                            max_rows: int = 1000) -> Importance:
    """Mean and standard deviation of the score drop per column, largest first."""
    from sklearn.inspection import permutation_importance

    rows = len(features)
    if rows > max_rows:
        pick = np.random.default_rng(seed).choice(rows, size=max_rows, replace=False)
        pick.sort()
        features, y = features.iloc[pick], np.asarray(y)[pick]
    result = permutation_importance(model, features, y, scoring=scoring, n_repeats=repeats,
                                    random_state=seed, n_jobs=1)
    ranked = sorted(zip(features.columns, result.importances_mean, result.importances_std,
                        strict=True), key=lambda item: float(item[1]), reverse=True)
    items: list[ImportanceItem] = [{"feature": str(name), "mean": float(mean), "std": float(std)}
             for name, mean, std in ranked]
    return {"scoring": scoring, "repeats": repeats, "rows": int(min(rows, max_rows)),
            "features": items}
