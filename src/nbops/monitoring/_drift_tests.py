"""Drift tests beyond the core checks: objects that the batch check, the report, the ledger
metrics, the run's ``monitoring`` section and the pages iterate.

Every feature always gets the core checks of :mod:`nbops.monitoring._drift` (PSI, KS,
missing rate, unseen categories: the fields the monitor-report schema requires). A
:class:`DriftTest` adds one more number per feature of the kinds it applies to:

* its value lands in the report's ``features.<name>.tests.<test>`` (and the run's
  ``monitoring`` section), as the ledger metric ``drift_<test>.<feature>`` (charted on the
  site with its floors), and as a column of the drift tables;
* its ``warn``/``alert`` floors are thresholds like the others:
  ``monitoring.thresholds.<test>_warn`` / ``<test>_alert`` in env.monitor.yaml, recorded
  as ``monitor_threshold.<test>_*``;
* a significance test declares ``significance_tests`` so the family-wise ``alpha`` is split
  over it too.

To add one: a module with the test object and its line in :data:`DRIFT_TESTS`; or, from a
plug-in package, an entry point of the ``nbops.drift_tests`` group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from nbops.core import load_plugins, plugin_problem
from nbops.monitoring._status import OK

DRIFT_TEST_PLUGINS = "nbops.drift_tests"
KINDS = ("numeric", "categorical", "prediction")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
#: The core checks' names, which an added test may not reuse.
_CORE = ("psi", "ks", "missing", "unseen", "auc_drop")


@dataclass(frozen=True)
class DriftOutcome:
    """What one drift test found for one feature.

    Attributes:
        value: the test's number (a distance, a statistic …).
        status: ``ok``, ``warn`` or ``alert`` (grade it with
            :func:`nbops.monitoring._status.graded` against the floors it was given).
        reason: why the status is not ``ok``, one short phrase (shown in the report).
    """

    value: float
    status: str = OK
    reason: str | None = None


@runtime_checkable
class DriftTest(Protocol):
    """One drift test (see the module docstring)."""

    name: str
    kinds: tuple[str, ...]
    significance_tests: int
    warn: float
    alert: float

    def measure(self, reference: Any, column: Any, alpha_each: float, warn: float,
                alert: float) -> DriftOutcome:
        """The outcome for one feature.

        Args:
            reference: the feature's reference (``NumericReference`` for numeric
                features and the champion's scores, ``CategoricalReference`` otherwise).
            column: the batch's values (a float array, NaN = missing, for numeric kinds;
                the batch's ``pandas.Series`` for categorical ones).
            alpha_each: the per-test significance level after the Bonferroni split.
            warn, alert: the test's floors (env.monitor.yaml's, else its defaults).
        """
        ...


#: The drift tests every batch check runs besides the core checks.
DRIFT_TESTS: tuple[DriftTest, ...] = ()


def drift_tests() -> tuple[DriftTest, ...]:
    """:data:`DRIFT_TESTS`, then the plug-ins' (``nbops.drift_tests``, in name order).

    Raises:
        ConfigError: a test has a bad name or kind, reuses a name, or is not a DriftTest.
    """
    found: list[DriftTest] = list(DRIFT_TESTS)
    for entry, plugin in load_plugins(DRIFT_TEST_PLUGINS):
        if not isinstance(plugin, DriftTest):
            raise plugin_problem(DRIFT_TEST_PLUGINS, entry, "is not a drift test",
                                 "give it name, kinds, significance_tests, warn, alert and "
                                 "measure() (nbops.monitoring.DriftTest)")
        found.append(plugin)
    seen = set(_CORE)
    for test in found:
        if not _NAME.match(str(test.name)) or test.name in seen:
            raise plugin_problem(DRIFT_TEST_PLUGINS, str(test.name), "has a name that is "
                                 "not a short lower-case word or is already taken",
                                 f"rename it (taken: {', '.join(sorted(seen))})")
        if not test.kinds or set(test.kinds) - set(KINDS):
            raise plugin_problem(DRIFT_TEST_PLUGINS, test.name, f"applies to {test.kinds!r}",
                                 f"use kinds among {', '.join(KINDS)}")
        seen.add(test.name)
    return tuple(found)


def run_tests(tests: tuple[DriftTest, ...], kind: str, reference: Any, column: Any,
              alpha_each: float, floors: dict[str, float]) -> list[tuple[str, DriftOutcome]]:
    """Each applicable test's outcome for one feature of ``kind``."""
    outcomes = []
    for test in tests:
        if kind in test.kinds:
            warn = floors.get(f"{test.name}_warn", test.warn)
            alert = floors.get(f"{test.name}_alert", test.alert)
            outcomes.append((test.name, test.measure(reference, column, alpha_each, warn,
                                                     alert)))
    return outcomes


def tests_per_kind(tests: tuple[DriftTest, ...], kind: str) -> int:
    """How many significance tests the added drift tests run on one feature of ``kind``."""
    return sum(int(test.significance_tests) for test in tests if kind in test.kinds)
