"""Checks that a batch can be monitored at all: rows, columns, nulls, types.

A bad batch is a finding, not a crash: each problem becomes one sentence
naming the column and the fix, the verdict becomes ``alert``, and the columns
that are fine are still checked for drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandas.api import types as ptypes

from nbops.contracts import BatchProblemRecord
from nbops.monitoring._profile import ReferenceProfile


@dataclass(frozen=True)
class BatchProblem:
    """One reason a batch (or one of its columns) cannot be monitored.

    Attributes:
        kind: ``empty``, ``missing_column``, ``all_null`` or ``wrong_type``.
        column: The column concerned (``None`` for the whole batch).
        message: One sentence naming the problem and the fix.
    """

    kind: str
    column: str | None
    message: str

    def to_dict(self) -> BatchProblemRecord:
        return {"kind": self.kind, "column": self.column, "message": self.message}


def _non_numeric_examples(column: pd.Series) -> list[str]:
    present = column.dropna()
    coerced = pd.to_numeric(present, errors="coerce")
    bad = present[coerced.isna()]
    return [repr(value) for value in bad.unique()[:3].tolist()]


def find_problems(profile: ReferenceProfile, batch: pd.DataFrame) -> list[BatchProblem]:
    """Everything that stops part of ``batch`` from being compared with ``profile``."""
    if len(batch) == 0:
        return [
            BatchProblem(
                "empty",
                None,
                "The batch has no rows; pass a file or month that holds data.",
            )
        ]
    problems: list[BatchProblem] = []
    missing = [name for name in profile.features if name not in batch.columns]
    for name in missing:
        problems.append(
            BatchProblem(
                "missing_column",
                name,
                f"Column '{name}' of the champion's feature schema is missing from the batch; "
                "add it (same name) or monitor against a champion trained without it.",
            )
        )
    for name, reference in profile.features.items():
        if name in missing:
            continue
        column = batch[name]
        if column.isna().all():
            problems.append(
                BatchProblem(
                    "all_null",
                    name,
                    f"Column '{name}' is null in all {len(column)} rows; "
                    "fix the upstream extract that fills it.",
                )
            )
            continue
        dtype = profile.dtypes.get(name, "")
        if reference.kind == "numeric" and not (
            ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column)
        ):
            examples = _non_numeric_examples(column)
            if examples:
                problems.append(
                    BatchProblem(
                        "wrong_type",
                        name,
                        f"Column '{name}' should be numeric ({dtype}) but holds "
                        f"{', '.join(examples)}; fix its type or values upstream.",
                    )
                )
        elif reference.kind == "categorical" and (
            ptypes.is_float_dtype(column) or ptypes.is_bool_dtype(column)
        ):
            problems.append(
                BatchProblem(
                    "wrong_type",
                    name,
                    f"Column '{name}' should be categorical ({dtype}) but is {column.dtype}; "
                    "fix its type upstream (categories are labels, not numbers).",
                )
            )
    return problems
