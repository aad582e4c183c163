"""A small synthetic world for monitoring tests: features, a label, a 'champion' score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SCHEMA: dict[str, Any] = {
    "schema_version": 1,
    "target": "churned",
    "features": [
        {"name": "tenure", "dtype": "float64"},
        {"name": "charges", "dtype": "float64"},
        {"name": "calls", "dtype": "Int64"},
        {"name": "plan", "dtype": "category", "categories": ["basic", "plus", "pro"]},
        {"name": "region", "dtype": "string"},
        {"name": "signup", "dtype": "datetime64[ns]"},
    ],
}


def champion_score(frame: pd.DataFrame) -> np.ndarray:
    """The 'champion': a fixed logistic score of tenure and charges."""
    z = -0.8 * frame["tenure"].fillna(0).to_numpy() + 0.6 * frame["charges"].to_numpy()
    return 1 / (1 + np.exp(-z))


def make_frame(
    rows: int,
    seed: int,
    shift: float = 0.0,
    flip: float = 0.0,
    missing_tenure: float = 0.02,
) -> pd.DataFrame:
    """``rows`` customers; ``shift`` moves charges (in SDs); ``flip`` randomises labels."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure": rng.normal(size=rows),
            "charges": rng.normal(shift, 1.0, size=rows),
            "calls": pd.array(rng.poisson(1.5, rows), dtype="Int64"),
            "plan": pd.Categorical(
                rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2]),
                categories=["basic", "plus", "pro"],
            ),
            "region": rng.choice(["north", "south"], rows).astype(object),
            "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, rows), "D"),
        }
    )
    frame.loc[rng.random(rows) < missing_tenure, "tenure"] = np.nan
    score = champion_score(frame)
    labels = (rng.random(rows) < score).astype(int)
    noisy = rng.random(rows) < flip
    labels[noisy] = rng.integers(0, 2, int(noisy.sum()))
    frame["churned"] = labels
    return frame


