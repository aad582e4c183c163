"""New batches for the monitoring step: a file, or a month of the embedded generator.

The generator's months continue the training data (same ``seed`` as
``data.seed``; training covers months 0-11), and can carry injected drift, so
the monitor can be shown what it should catch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from churn import data, generator
from nbops.core import DataError


@dataclass
class Batch:
    """A batch to monitor, where it came from, and notes on how it was read."""

    frame: pd.DataFrame
    info: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def parse_shift(text: str | None) -> dict[str, float]:
    """``"age=0.5,monthly_charges=-1"`` -> ``{"age": 0.5, "monthly_charges": -1.0}`` (SDs).

    Raises:
        DataError: a part is not ``feature=number`` or names an unknown feature.
    """
    if data.is_embedded(text):
        return {}
    shift: dict[str, float] = {}
    for part in str(text).split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            amount = float(value)
        except ValueError:
            raise DataError(
                f"batch shift {part.strip()!r} is not feature=number",
                "write it like age=0.5,monthly_charges=-1 (standard deviations)",
            ) from None
        if name not in generator.NUMERIC_STD:
            raise DataError(
                f"batch shift names {name!r}, which the generator cannot shift",
                f"use some of {', '.join(generator.NUMERIC_STD)}",
            )
        shift[name] = amount
    return shift


def load_batch(
    path: str | None,
    *,
    month: int,
    rows: int,
    seed: int,
    shift: str | None = None,
    concept: float = 0.0,
    target: str = generator.TARGET,
) -> Batch:
    """Read ``path``, or generate ``rows`` customers of generator ``month`` with drift.

    The target, when present, is mapped to 0/1 (missing labels stay missing:
    their rows still count for drift).

    Raises:
        DataError: the file cannot be read, or the drift settings are invalid.
    """
    notes: list[str] = []
    if data.is_embedded(path):
        covariate = parse_shift(shift)
        concept = float(concept or 0.0)
        drift = None
        if covariate or concept:
            drift = generator.DriftSpec(int(month), covariate=covariate, concept=concept)
        frame = generator.generate_month(int(month), int(rows), seed=int(seed), drift=drift)
        info: dict[str, Any] = {
            "source": "generator", "month": int(month), "seed": int(seed),
            "shift": covariate, "concept": concept,
        }
    else:
        assert path is not None
        frame = data.read_file(path)
        info = {"source": str(path)}
    if target in frame.columns and frame[target].notna().any():
        column = frame[target]
        if pd.api.types.is_numeric_dtype(column):
            labels = pd.to_numeric(column, errors="coerce")
        elif column.dropna().astype(str).str.strip().nunique() < 2:
            # One label value (a small batch): yes/true/1 are positive, anything else not.
            text = column.astype(str).str.strip().str.lower()
            labels = text.isin(("1", "yes", "true", "y", "churn", "churned")).astype("Int8")
            labels = labels.where(column.notna())
        else:
            labels, label_notes = data.map_target(column)
            notes.extend(label_notes)
        frame = frame.assign(**{target: labels})
    info["rows"] = len(frame)
    return Batch(frame=frame, info=info, notes=notes)
