"""Monitoring thresholds: what counts as drift, and how loud it is.

Two questions decide every check:

1. *Is the change real?* A statistical test at a family-wise false-alarm budget
   ``alpha`` shared by every test of a batch (Bonferroni: each of the ``k``
   tests runs at ``alpha / k``), so twenty features do not mean twenty chances
   of a false alarm. PSI's sampling noise shrinks with sample size, so its
   test is calibrated to the two sample sizes (see :mod:`nbops.monitoring._psi`).
2. *Is it big enough to matter?* An effect-size floor (PSI, missing-rate change,
   share of unseen categories, ROC AUC drop). At a million rows a shift of a
   hundredth of a standard deviation is "significant"; the floor keeps it quiet.
   PSI is compared after subtracting the PSI that sampling noise alone gives at
   the two sample sizes, so a shift grades the same at any batch size.

The PSI floors are far below the folklore "0.1 = watch, 0.25 = act": a 0.2 SD
shift of a normal feature has a PSI of about 0.04, and catching it is the point.
Set ``psi_alert: 0.25`` to get the folklore behaviour.

A check is ``alert`` when it is significant and its effect reaches the alert
floor, ``warn`` when significant and at or above the warn floor, ``ok``
otherwise. The defaults are tuned by ``benchmarks/drift_detection.py``: at most
5 % false alarms on clean data, a 0.2 SD shift in one feature of a 10,000-row
batch caught at least 95 % of the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from nbops.core import ConfigError


@dataclass(frozen=True)
class Thresholds:
    """Configurable monitoring thresholds (env.yaml ``monitoring:`` section).

    Attributes:
        alpha: Family-wise false-alarm budget shared by all tests of one batch.
        bins: Number of reference-quantile bins for numeric PSI.
        psi_warn: PSI floor for a significant drift to ``warn``.
        psi_alert: PSI floor for a significant drift to ``alert``.
        missing_warn: Absolute missing-rate change floor to ``warn``.
        missing_alert: Absolute missing-rate change floor to ``alert``.
        unseen_warn: Share of rows with unseen categories to ``warn``.
        unseen_alert: Share of rows with unseen categories to ``alert``.
        auc_drop_warn: Live ROC AUC drop below the reference to ``warn``.
        auc_drop_alert: Live ROC AUC drop below the reference to ``alert``.
        top_k: How many drifted features the verdict names.
        extra: The floors of the added drift tests set in env.yaml
            (``<test>_warn``/``<test>_alert``; unset ones take the test's defaults).
    """

    alpha: float = 0.01
    bins: int = 10
    psi_warn: float = 0.005
    psi_alert: float = 0.02
    missing_warn: float = 0.01
    missing_alert: float = 0.05
    unseen_warn: float = 0.001
    unseen_alert: float = 0.01
    auc_drop_warn: float = 0.01
    auc_drop_alert: float = 0.02
    top_k: int = 5
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(
                f"monitoring.alpha is {self.alpha}, outside (0, 1)",
                "set it to a small probability such as 0.01 in env.yaml",
            )
        if int(self.bins) != self.bins or self.bins < 2:
            raise ConfigError(
                f"monitoring.bins is {self.bins}; it must be an integer of at least 2",
                "set monitoring.bins to e.g. 10 in env.yaml",
            )
        if self.top_k < 1:
            raise ConfigError(
                f"monitoring.top_k is {self.top_k}; it must be at least 1",
                "set monitoring.top_k to e.g. 5 in env.yaml",
            )
        for low, high in (
            ("psi_warn", "psi_alert"),
            ("missing_warn", "missing_alert"),
            ("unseen_warn", "unseen_alert"),
            ("auc_drop_warn", "auc_drop_alert"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo < 0 or hi < lo:
                raise ConfigError(
                    f"monitoring.{low}={lo} and monitoring.{high}={hi} are inconsistent",
                    f"use 0 <= {low} <= {high} in env.yaml",
                )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None) -> Thresholds:
        """Build thresholds from a mapping (e.g. env.yaml ``monitoring:``), defaults elsewhere.

        Keys that are not thresholds (such as ``retrain`` or ``fail_on``) are ignored.

        Raises:
            ConfigError: a value has the wrong type or range.
        """
        from nbops.monitoring._drift_tests import drift_tests

        values = dict(values or {})
        kwargs: dict[str, Any] = {}
        extra: dict[str, float] = {}
        names = [f.name for f in fields(cls) if f.name != "extra"]
        added = [f"{test.name}_{level}" for test in drift_tests() for level in ("warn", "alert")]
        for name in [*names, *added]:
            if name not in values or values[name] is None:
                continue
            raw = values[name]
            caster = int if name in ("bins", "top_k") else float
            try:
                if not isinstance(raw, int | float | str):
                    raise TypeError(raw)
                (kwargs if name in names else extra)[name] = caster(raw)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"monitoring.{name} is {raw!r}, not a number",
                    f"set monitoring.{name} to a number in env.yaml",
                ) from None
        return cls(**kwargs, extra=extra)

    def to_dict(self) -> dict[str, float]:
        """The thresholds as a plain mapping (for the manifest and the ledger)."""
        fixed = {key: float(value) for key, value in asdict(self).items() if key != "extra"}
        return {**fixed, **{key: float(value) for key, value in self.extra.items()}}
