"""Deterministic generator of realistic customer-churn data, with optional drift.

The data looks like a telecom customer table: one row per customer, a signup
date spread over consecutive months, numeric and categorical features with
missing values at realistic rates, and a ``churn`` label (0/1) drawn from a
plausible logistic model.  Later months can carry drift:

* covariate drift: named numeric features shift by N reference standard
  deviations (:data:`NUMERIC_STD`), categorical features change their mix;
* concept drift: the label follows a different relationship, which lowers
  the ROC AUC of a model trained on earlier months.

Public API::

    generate(n_rows, seed=0, months=12, start="2024-01", drift=None) -> DataFrame
    generate_month(month_index, n_rows, seed=0, start="2024-01", drift=None) -> DataFrame
    iter_chunks(n_rows, seed=0, months=12, start="2024-01", drift=None,
                chunk_rows=BLOCK_ROWS) -> Iterator[DataFrame]
    write_parquet(path, n_rows, seed=0, months=12, start="2024-01", drift=None) -> Path
    DriftSpec(start_month, ramp_months=1, covariate={name: n_std},
              category_mix={column: {category: probability}}, concept=0.0)
    example_drift(start_month=6) -> DriftSpec

``month_index`` counts from 0 (the month named by ``start``).  ``generate``
spreads ``n_rows`` evenly over ``months`` (the first ``n_rows % months``
months get one row more).  Output is deterministic in ``seed``, and
``generate_month(m, k)`` is a prefix of ``generate_month(m, n)`` for ``k < n``:
randomness is drawn in fixed blocks of :data:`BLOCK_ROWS` rows seeded by
``(seed, month, block)``, so chunk sizes never change the data.  Memory stays
bounded: frames use compact dtypes (float32, small ints, categoricals) and
:func:`write_parquet` streams blocks to disk, so 10,000,000 rows need well
under 1 GiB beyond the output itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BLOCK_ROWS = 50_000
TARGET = "churn"
DATE_COLUMN = "signup_date"
ID_COLUMN = "customer_id"

CATEGORIES: dict[str, dict[str, float]] = {
    "contract": {"Month-to-month": 0.55, "One year": 0.21, "Two year": 0.24},
    "internet_service": {"DSL": 0.34, "Fiber optic": 0.44, "No": 0.22},
    "payment_method": {
        "Electronic check": 0.34,
        "Mailed check": 0.23,
        "Bank transfer": 0.22,
        "Credit card": 0.21,
    },
    "region": {"North": 0.22, "South": 0.26, "East": 0.18, "West": 0.24, "Central": 0.10},
    "paperless_billing": {"Yes": 0.59, "No": 0.41},
    "senior_citizen": {"No": 0.84, "Yes": 0.16},
    "partner": {"No": 0.52, "Yes": 0.48},
}

# Reference standard deviations of the undrifted numeric features (measured on
# 1,000,000 generated rows); covariate drift is expressed in these units.
NUMERIC_STD: dict[str, float] = {
    "tenure_months": 21.4,
    "monthly_charges": 28.1,
    "total_charges": 1640.0,
    "support_calls": 1.2,
    "data_usage_gb": 17.2,
    "age": 15.5,
}

# Share of values blanked out per column (total_charges is also missing for
# brand-new customers, whose tenure is 0, as in real billing exports).
MISSING_RATES: dict[str, float] = {
    "payment_method": 0.01,
    "support_calls": 0.02,
    "data_usage_gb": 0.03,
    "age": 0.04,
    "region": 0.005,
}

COLUMNS: tuple[str, ...] = (
    ID_COLUMN,
    DATE_COLUMN,
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "data_usage_gb",
    "age",
    "contract",
    "internet_service",
    "payment_method",
    "paperless_billing",
    "senior_citizen",
    "partner",
    "region",
    TARGET,
)


@dataclass(frozen=True)
class DriftSpec:
    """Drift injected from ``start_month`` on (0-based month index).

    Attributes:
        start_month: first drifted month.
        ramp_months: months over which drift grows linearly to full strength
            (1 = full strength at ``start_month``).
        covariate: numeric feature -> shift in reference standard deviations
            (:data:`NUMERIC_STD`); may be negative.
        category_mix: categorical feature -> new category probabilities
            (normalised; categories not named get probability 0).
        concept: 0..1, how far the label model moves to a different
            relationship (1 = entirely the new one).
    """

    start_month: int
    ramp_months: int = 1
    covariate: Mapping[str, float] = field(default_factory=dict)
    category_mix: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    concept: float = 0.0

    def __post_init__(self) -> None:
        unknown = set(self.covariate) - set(NUMERIC_STD)
        if unknown:
            raise ValueError(
                f"DriftSpec.covariate names unknown numeric features {sorted(unknown)}; "
                f"use some of {sorted(NUMERIC_STD)}"
            )
        for column, mix in self.category_mix.items():
            if column not in CATEGORIES:
                raise ValueError(
                    f"DriftSpec.category_mix names unknown column {column!r}; "
                    f"use one of {sorted(CATEGORIES)}"
                )
            extra = set(mix) - set(CATEGORIES[column])
            if extra or sum(mix.values()) <= 0:
                raise ValueError(
                    f"DriftSpec.category_mix[{column!r}] must give positive probabilities "
                    f"for categories among {list(CATEGORIES[column])}"
                )
        if not 0.0 <= self.concept <= 1.0:
            raise ValueError("DriftSpec.concept must be between 0 and 1")
        if self.start_month < 0 or self.ramp_months < 1:
            raise ValueError("DriftSpec needs start_month >= 0 and ramp_months >= 1")

    def strength(self, month_index: int) -> float:
        """Drift strength (0..1) in ``month_index``."""
        if month_index < self.start_month:
            return 0.0
        return min(1.0, (month_index - self.start_month + 1) / self.ramp_months)


def example_drift(start_month: int = 6) -> DriftSpec:
    """A ready-made scenario: pricier plans, more month-to-month, a new churn driver."""
    return DriftSpec(
        start_month=start_month,
        covariate={"monthly_charges": 1.0, "support_calls": 0.8},
        category_mix={"contract": {"Month-to-month": 0.75, "One year": 0.15, "Two year": 0.10}},
        concept=0.8,
    )


def _month_start(start: str, month_index: int) -> pd.Timestamp:
    return (pd.Period(start, freq="M") + month_index).to_timestamp()


def _choice(rng: np.random.Generator, probs: Mapping[str, float], n: int) -> np.ndarray:
    p = np.array([probs.get(c, 0.0) for c in probs], dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int8)


def _mix(column: str, drift: DriftSpec | None, s: float) -> dict[str, float]:
    base = CATEGORIES[column]
    if drift is None or s == 0.0 or column not in drift.category_mix:
        return base
    new = drift.category_mix[column]
    total = sum(new.values())
    return {c: (1 - s) * p + s * new.get(c, 0.0) / total for c, p in base.items()}


def _block(
    month_index: int, block_index: int, seed: int, start: str, drift: DriftSpec | None
) -> pd.DataFrame:
    """One block of BLOCK_ROWS rows; every random draw happens here."""
    n = BLOCK_ROWS
    rng = np.random.default_rng([seed, month_index, block_index])
    s = drift.strength(month_index) if drift is not None else 0.0
    shift = {k: v * s * NUMERIC_STD[k] for k, v in (drift.covariate if drift else {}).items()}
    codes = {c: _choice(rng, _mix(c, drift, s), n) for c in CATEGORIES}

    contract = codes["contract"]
    fiber = codes["internet_service"] == 1
    no_internet = codes["internet_service"] == 2
    senior = codes["senior_citizen"] == 1

    mean_tenure = np.array([14.0, 38.0, 55.0])[contract]
    tenure = rng.gamma(2.0, mean_tenure / 2.0)
    tenure[rng.random(n) < 0.015] = 0.0  # brand-new customers
    tenure = np.clip(np.rint(tenure + shift.get("tenure_months", 0.0)), 0, 72)

    base_charge = np.where(no_internet, 21.0, np.where(fiber, 88.0, 56.0))
    monthly = base_charge + rng.normal(0.0, np.where(no_internet, 2.5, 12.0))
    monthly = np.clip(monthly + shift.get("monthly_charges", 0.0), 18.0, 200.0)
    total = tenure * monthly * rng.uniform(0.93, 1.07, n) + shift.get("total_charges", 0.0)
    total = np.maximum(total, 0.0)

    calls = rng.poisson(np.where(fiber, 1.6, 1.0) + 0.04 * np.maximum(0, 24 - tenure) / 4)
    calls = np.clip(np.rint(calls + shift.get("support_calls", 0.0)), 0, 30)
    usage = np.where(no_internet, 0.0, rng.lognormal(2.9, 0.65, n))
    usage = np.maximum(usage + shift.get("data_usage_gb", 0.0), 0.0)
    age = rng.normal(np.where(senior, 72.0, 42.0), np.where(senior, 5.0, 12.0))
    age = np.clip(np.rint(age + shift.get("age", 0.0)), 18, 95)

    logit = (
        -0.4
        + np.array([0.9, -0.6, -1.7])[contract]
        - 0.75 * np.log1p(tenure)
        + 0.8 * (tenure < 6)
        + 0.014 * (monthly - 65.0)
        + 0.15 * calls
        + 1.4 * (calls >= 4)
        + 0.9 * (fiber & (contract == 0))
        + 0.5 * (codes["payment_method"] == 0)
        + 0.35 * fiber
        + 0.3 * senior
        + 0.25 * (codes["paperless_billing"] == 0)
        - 0.25 * (codes["partner"] == 1)
    )
    if drift is not None and drift.concept > 0 and s > 0:
        # The new world: loyalty no longer protects, heavy data users and two
        # regions churn, support calls stop signalling trouble.
        new_logit = (
            -1.1
            + 0.02 * (tenure - 30.0)
            + 0.05 * (usage - 20.0)
            + 0.9 * np.isin(codes["region"], (1, 2))
            - 0.3 * calls
            + 0.4 * (contract == 0)
        )
        weight = drift.concept * s
        logit = (1 - weight) * logit + weight * new_logit
    churn = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)

    def masked(values: np.ndarray, column: str) -> np.ndarray:
        out = values.astype(np.float32)
        out[rng.random(n) < MISSING_RATES[column]] = np.nan
        return out

    total = total.astype(np.float32)
    total[tenure == 0] = np.nan
    month0 = _month_start(start, month_index)
    days = (_month_start(start, month_index + 1) - month0).days
    dates = np.datetime64(month0.to_datetime64(), "ms") + (
        rng.integers(0, days * 86400, n).astype("timedelta64[s]").astype("timedelta64[ms]")
    )
    frame: dict[str, Any] = {
        DATE_COLUMN: dates,
        "tenure_months": tenure.astype(np.int16),
        "monthly_charges": monthly.astype(np.float32).round(2),
        "total_charges": total.round(2),
        "support_calls": pd.array(masked(calls, "support_calls"), dtype="Int8"),
        "data_usage_gb": masked(usage, "data_usage_gb").round(2),
        "age": pd.array(masked(age, "age"), dtype="Int8"),
    }
    for column, levels in CATEGORIES.items():
        level_codes = codes[column]
        if column in MISSING_RATES:
            level_codes = level_codes.copy()
            level_codes[rng.random(n) < MISSING_RATES[column]] = -1
        frame[column] = pd.Categorical.from_codes(level_codes, categories=list(levels))
    frame[TARGET] = churn
    return pd.DataFrame(frame)


def _ids(month_index: int, offset: int, n: int) -> pd.Series:
    numbers = pa.array(np.arange(offset, offset + n, dtype=np.int64))
    digits = pc.utf8_lpad(pc.cast(numbers, pa.string()), 8, "0")
    ids = pc.binary_join_element_wise(f"C{month_index:03d}-", digits, "")
    return pd.Series(pd.array(ids, dtype=pd.StringDtype("pyarrow")), name=ID_COLUMN)


def _month_blocks(
    month_index: int, n_rows: int, seed: int, start: str, drift: DriftSpec | None
) -> Iterator[pd.DataFrame]:
    for block_index, offset in enumerate(range(0, n_rows, BLOCK_ROWS)):
        n = min(BLOCK_ROWS, n_rows - offset)
        frame = _block(month_index, block_index, seed, start, drift).iloc[:n]
        frame = frame.reset_index(drop=True)
        frame.insert(0, ID_COLUMN, _ids(month_index, offset, n))
        frame.index = pd.RangeIndex(offset, offset + n)
        yield frame


def _rows_per_month(n_rows: int, months: int) -> list[int]:
    if n_rows < 0 or months < 1:
        raise ValueError("n_rows must be >= 0 and months >= 1")
    base, extra = divmod(n_rows, months)
    return [base + (1 if m < extra else 0) for m in range(months)]


def generate_month(
    month_index: int,
    n_rows: int,
    seed: int = 0,
    start: str = "2024-01",
    drift: DriftSpec | None = None,
) -> pd.DataFrame:
    """Customers who signed up in month ``month_index`` (0 = ``start``)."""
    blocks = list(_month_blocks(month_index, n_rows, seed, start, drift))
    if not blocks:
        return (
            _block(month_index, 0, seed, start, drift)
            .iloc[:0]
            .assign(**{ID_COLUMN: pd.Series([], dtype=pd.StringDtype("pyarrow"))})[list(COLUMNS)]
        )
    return pd.concat(blocks, ignore_index=True)[list(COLUMNS)]


def iter_chunks(
    n_rows: int,
    seed: int = 0,
    months: int = 12,
    start: str = "2024-01",
    drift: DriftSpec | None = None,
    chunk_rows: int = BLOCK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Yield the rows of :func:`generate` as frames of at most ``chunk_rows`` rows."""
    pending: list[pd.DataFrame] = []
    size = 0
    for month_index, rows in enumerate(_rows_per_month(n_rows, months)):
        for block in _month_blocks(month_index, rows, seed, start, drift):
            while len(block):
                take = block.iloc[: chunk_rows - size]
                block = block.iloc[len(take) :]
                pending.append(take[list(COLUMNS)])
                size += len(take)
                if size == chunk_rows:
                    yield pd.concat(pending, ignore_index=True)
                    pending, size = [], 0
    if pending:
        yield pd.concat(pending, ignore_index=True)


def generate(
    n_rows: int,
    seed: int = 0,
    months: int = 12,
    start: str = "2024-01",
    drift: DriftSpec | None = None,
) -> pd.DataFrame:
    """``n_rows`` customers spread evenly over ``months`` consecutive months."""
    chunks = list(iter_chunks(n_rows, seed, months, start, drift))
    if not chunks:
        return generate_month(0, 0, seed, start, drift)
    return pd.concat(chunks, ignore_index=True)


def write_parquet(
    path: str | Path,
    n_rows: int,
    seed: int = 0,
    months: int = 12,
    start: str = "2024-01",
    drift: DriftSpec | None = None,
    chunk_rows: int = 500_000,
) -> Path:
    """Stream :func:`generate`'s rows to a Parquet file chunk by chunk; return its path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in iter_chunks(n_rows, seed, months, start, drift, chunk_rows):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        generate_month(0, 0, seed, start, drift).to_parquet(tmp, index=False)
    tmp.replace(path)
    return path
