"""Compare a reproduction with the run it reproduces, task by task.

For every task, in pipeline order: its status, its resolved parameters, its
products (bit for bit, by content hash; notebooks on normalised content, see
:mod:`nbops.runs._notebook_compare`) and its metrics (exactly). A task
declared non-deterministic (:mod:`nbops.reproduce._declaration`) may differ in
products and notebook as long as every metric is within its tolerance.

The verdict is ``reproduced`` when every task is identical,
``within-tolerance`` when the only differences are declared ones within
tolerance, and ``diverged`` otherwise, naming the first diverging task.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.contracts import ReproducedTask, ReproductionCheck
from nbops.core import rewrite_strings
from nbops.reproduce._declaration import Tolerance
from nbops.runs import compare_notebooks

IDENTICAL = "identical"
WITHIN = "within-tolerance"
DIVERGED = "diverged"

REPRODUCED = "reproduced"
VERDICTS = (REPRODUCED, WITHIN, DIVERGED)

#: ``locate(side, digest)`` -> path of a stored object (side: "recorded" or "reproduced").
Locator = Callable[[str, str], Path | None]


@dataclass(frozen=True)
class Check:
    """One comparison inside a task.

    Attributes:
        what: ``status``, ``params``, ``product:<key>``, ``notebook`` or ``metric:<name>``.
        equal: the two sides are identical.
        recorded: the recorded value (hash, number, status ...).
        reproduced: the reproduction's value.
        detail: how they differ, for people (empty when equal).
        tolerance: for metrics of declared tasks, the allowed absolute difference.
        acceptable: the difference is allowed (equal, declared, or within tolerance).
    """

    what: str
    equal: bool
    recorded: Any
    reproduced: Any
    detail: str = ""
    tolerance: float | None = None
    acceptable: bool = True

    def to_dict(self) -> ReproductionCheck:
        """JSON form."""
        return {
            "what": self.what,
            "equal": self.equal,
            "acceptable": self.acceptable,
            "recorded": self.recorded,
            "reproduced": self.reproduced,
            "detail": self.detail,
            "tolerance": self.tolerance,
        }


@dataclass
class TaskResult:
    """How one task reproduced.

    Attributes:
        task: the task name.
        outcome: ``identical``, ``within-tolerance`` or ``diverged``.
        reason: for ``diverged``, the first unacceptable difference; for
            ``within-tolerance``, what differed and the tolerance that allowed it.
        tolerance: the task's declaration, if any.
        checks: every comparison made.
    """

    task: str
    outcome: str
    reason: str
    tolerance: Tolerance | None
    checks: list[Check] = field(default_factory=list)

    def to_dict(self) -> ReproducedTask:
        """JSON form."""
        return {
            "task": self.task,
            "outcome": self.outcome,
            "reason": self.reason,
            "nondeterministic": self.tolerance is not None,
            "tolerance": self.tolerance.to_dict() if self.tolerance is not None else None,
            "checks": [c.to_dict() for c in self.checks],
        }


def task_order(tasks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Tasks in dependency order (upstream first), ties in manifest order."""
    order: list[str] = []
    placed: set[str] = set()
    pending = list(tasks)
    while pending:
        progressed = False
        for name in list(pending):
            upstream = [u for u in tasks[name].get("upstream", []) if u in tasks]
            if all(u in placed for u in upstream):
                order.append(name)
                placed.add(name)
                pending.remove(name)
                progressed = True
        if not progressed:  # a cycle cannot come from Ploomber; keep manifest order
            order.extend(pending)
            break
    return order


def _succeeded(status: str | None) -> bool:
    return status in ("executed", "skipped")


def _status_check(recorded: Mapping[str, Any], reproduced: Mapping[str, Any] | None) -> Check:
    before = recorded.get("status")
    if reproduced is None:
        return Check(
            "status", False, before, None, "the reproduction has no such task", acceptable=False
        )
    after = reproduced.get("status")
    if _succeeded(before) and _succeeded(after):
        return Check("status", True, before, after)
    if before == after == "failed":
        a, b = recorded.get("error") or {}, reproduced.get("error") or {}
        same = (a.get("ename"), a.get("evalue")) == (b.get("ename"), b.get("evalue"))
        detail = (
            ""
            if same
            else (
                f"failed with {a.get('ename')}: {a.get('evalue')}, now with "
                f"{b.get('ename')}: {b.get('evalue')}"
            )
        )
        return Check("status", same, before, after, detail, acceptable=same)
    if before == after:
        return Check("status", True, before, after)
    detail = f"was {before}, reproduction {after}"
    error = reproduced.get("error")
    if after == "failed" and error:
        detail += f" ({error.get('ename')}: {error.get('evalue')})"
    return Check("status", False, before, after, detail, acceptable=False)


def _source_check(recorded: Mapping[str, Any], reproduced: Mapping[str, Any]) -> Check:
    before = (recorded.get("source") or {}).get("hash")
    after = (reproduced.get("source") or {}).get("hash")
    if before == after:
        return Check("source", True, before, after)
    return Check(
        "source",
        False,
        before,
        after,
        "its source differs from the recorded one (a change the run did not capture, "
        "e.g. an untracked file)",
        acceptable=False,
    )


def _params_check(before: Any, after: Any) -> Check:
    if before == after:
        return Check("params", True, before, after)
    a, b = before or {}, after or {}
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    detail = "; ".join(f"{k}: recorded {a.get(k)!r}, reproduction {b.get(k)!r}" for k in keys)
    return Check("params", False, before, after, f"parameters differ ({detail})", acceptable=False)


def _metric_checks(
    before: Mapping[str, float], after: Mapping[str, float], tolerance: Tolerance | None
) -> list[Check]:
    checks = []
    for name in sorted(set(before) | set(after)):
        what = f"metric:{name}"
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            side = "the reproduction did not log it" if b is None else "the run did not log it"
            checks.append(Check(what, False, a, b, f"metric {name}: {side}", acceptable=False))
            continue
        equal = a == b or (math.isnan(a) and math.isnan(b))
        if equal:
            checks.append(Check(what, True, a, b))
            continue
        if tolerance is None:
            checks.append(
                Check(
                    what,
                    False,
                    a,
                    b,
                    f"metric {name} was {a!r}, reproduction {b!r}",
                    acceptable=False,
                )
            )
            continue
        allowed = tolerance.for_metric(name)
        within = abs(a - b) <= allowed
        verb = "within" if within else "outside"
        detail = (
            f"metric {name} was {a!r}, reproduction {b!r}: |Δ|={abs(a - b):.3g} {verb} ±{allowed:g}"
        )
        checks.append(Check(what, False, a, b, detail, tolerance=allowed, acceptable=within))
    return checks


@dataclass(frozen=True)
class Sides:
    """What the comparison needs besides the two manifests.

    Attributes:
        recorded_run_dir: the original run's folder.
        reproduced_run_dir: the reproduction's run folder (in the scratch copy).
        replacements: strings in the reproduction to rewrite to the original's.
        locate: finds a stored object by side and hash.
    """

    recorded_run_dir: Path
    reproduced_run_dir: Path
    replacements: Mapping[str, str]
    locate: Locator


def _notebook_check(
    what: str, before: Path | None, after: Path | None, sides: Sides, declared: bool
) -> Check:
    if before is None or after is None or not before.is_file() or not after.is_file():
        missing = "recorded" if before is None or not before.is_file() else "reproduced"
        return Check(
            what,
            False,
            str(before),
            str(after),
            f"the {missing} notebook is missing",
            acceptable=declared,
        )
    difference = compare_notebooks(before, after, sides.replacements)
    if difference is None:
        return Check(what, True, "equal outputs", "equal outputs")
    return Check(
        what,
        False,
        difference.recorded,
        difference.reproduced,
        f"notebook {difference.describe()}",
        acceptable=declared,
    )


def _product_checks(
    before: Mapping[str, Any], after: Mapping[str, Any], sides: Sides, declared: bool
) -> list[Check]:
    checks = []
    for key in sorted(set(before) | set(after)):
        what = f"product:{key}"
        a, b = before.get(key), after.get(key)
        if a is None or b is None:
            side = (
                "the reproduction did not produce it" if b is None else "the run did not record it"
            )
            checks.append(
                Check(
                    what,
                    False,
                    a and a.get("hash"),
                    b and b.get("hash"),
                    f"product {key}: {side}",
                    acceptable=False,
                )
            )
            continue
        if a.get("hash") == b.get("hash"):
            checks.append(Check(what, True, a.get("hash"), b.get("hash")))
        elif str(a.get("path", "")).endswith(".ipynb"):
            checks.append(
                _notebook_check(
                    what,
                    sides.locate("recorded", a["hash"]) if a.get("hash") else None,
                    sides.locate("reproduced", b["hash"]) if b.get("hash") else None,
                    sides,
                    declared,
                )
            )
        else:
            checks.append(
                Check(
                    what,
                    False,
                    a.get("hash"),
                    b.get("hash"),
                    f"product {key} ({a.get('path')}) is not bit-identical "
                    f"(size {a.get('size')} vs {b.get('size')})",
                    acceptable=declared,
                )
            )
    return checks


def _has_notebook_product(products: Mapping[str, Any]) -> bool:
    return any(str(p.get("path", "")).endswith(".ipynb") for p in products.values())


def compare_task(
    name: str,
    recorded: Mapping[str, Any],
    reproduced: Mapping[str, Any] | None,
    recorded_params: Any,
    reproduced_params: Any,
    sides: Sides,
    tolerance: Tolerance | None,
    nondeterministic_upstream: list[str],
) -> TaskResult:
    """Compare one task of the run with the same task of the reproduction.

    Args:
        nondeterministic_upstream: declared tasks upstream of this one that differed;
            named in the reason when this undeclared task then differs too.
    """
    checks = [_status_check(recorded, reproduced)]
    if reproduced is not None:
        checks.append(_source_check(recorded, reproduced))
        checks.append(
            _params_check(recorded_params, rewrite_strings(reproduced_params, sides.replacements))
        )
        declared = tolerance is not None
        checks += _product_checks(
            recorded.get("products") or {}, reproduced.get("products") or {}, sides, declared
        )
        nb_a, nb_b = recorded.get("notebook"), reproduced.get("notebook")
        if nb_a and nb_b and not _has_notebook_product(recorded.get("products") or {}):
            checks.append(
                _notebook_check(
                    "notebook",
                    sides.recorded_run_dir / nb_a["path"],
                    sides.reproduced_run_dir / nb_b["path"],
                    sides,
                    declared,
                )
            )
        checks += _metric_checks(
            recorded.get("metrics") or {}, reproduced.get("metrics") or {}, tolerance
        )
    bad = [c for c in checks if not c.acceptable]
    if bad:
        reason = bad[0].detail
        if recorded.get("status") == "skipped" and recorded.get("produced_by"):
            reason += (
                f" (the run reused this task's products from run {recorded['produced_by']}; "
                "Ploomber does not see changes to imported code or input files)"
            )
        if nondeterministic_upstream and tolerance is None:
            reason += (
                f"; its upstream {', '.join(nondeterministic_upstream)} is declared "
                "non-deterministic: declare a tolerance for this task too"
            )
        return TaskResult(name, DIVERGED, reason, tolerance, checks)
    differing = [c for c in checks if not c.equal]
    if differing:
        shown = "; ".join(c.detail for c in differing[:3])
        more = f" (+{len(differing) - 3} more)" if len(differing) > 3 else ""
        return TaskResult(
            name,
            WITHIN,
            f"{shown}{more} (declared non-deterministic, "
            f"{tolerance.describe() if tolerance else 'exact'})",
            tolerance,
            checks,
        )
    return TaskResult(
        name, IDENTICAL, "bit-identical products, equal outputs and metrics", tolerance, checks
    )


def compare_runs(
    recorded: Mapping[str, Any],
    reproduced: Mapping[str, Any],
    sides: Sides,
    declared: Mapping[str, Tolerance],
) -> list[TaskResult]:
    """Compare every task of a run with its reproduction, in dependency order."""
    tasks = recorded.get("tasks") or {}
    reproduced_tasks = reproduced.get("tasks") or {}
    results: list[TaskResult] = []
    differed: set[str] = set()
    for name in task_order(tasks):
        upstream = _all_upstream(name, tasks)
        noisy = sorted(u for u in upstream if u in differed)
        result = compare_task(
            name,
            tasks[name],
            reproduced_tasks.get(name),
            (recorded.get("params") or {}).get(name),
            (reproduced.get("params") or {}).get(name),
            sides,
            declared.get(name),
            noisy,
        )
        if result.outcome == WITHIN:
            differed.add(name)
        results.append(result)
    for extra in sorted(set(reproduced_tasks) - set(tasks)):
        results.append(
            TaskResult(
                extra,
                DIVERGED,
                "the reproduction has a task the run did not have",
                declared.get(extra),
            )
        )
    return results


def _all_upstream(name: str, tasks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    stack = list(tasks[name].get("upstream", []))
    while stack:
        item = stack.pop()
        if item not in seen:
            seen.add(item)
            stack.extend(tasks.get(item, {}).get("upstream", []))
    return seen


def verdict(results: list[TaskResult]) -> tuple[str, TaskResult | None]:
    """``(verdict, first diverging task or None)``."""
    for result in results:
        if result.outcome == DIVERGED:
            return DIVERGED, result
    if any(r.outcome == WITHIN for r in results):
        return WITHIN, None
    return REPRODUCED, None
