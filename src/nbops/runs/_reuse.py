"""Restore, before a build, the products an earlier run already made from the same inputs.

Ploomber skips a task whose product metadata (source code and parameters) matches
and whose upstream is older; it cannot skip a task whose products were
overwritten by a build with other settings, or that never ran in this working
folder. The ledger knows better: every run recorded, for every task, the hash of
its source, its resolved parameters and the hashes of its products, all kept in
the content store. :func:`plan_reuse` finds the earlier run from which the most
tasks of the coming build can be restored, and :func:`restore` puts their
products and Ploomber's metadata back (each object verified first), so Ploomber
finds them up to date and executes only what really changed.

A task is *unchanged* against run R when all of these hold:

* R executed it or reused it (``executed``/``skipped``) and recorded a hash for
  every product, at the same paths the coming build declares;
* its source file hashes the same as R's, and its resolved parameters equal R's
  exactly (parameters that were redacted as secrets never match: they cannot be
  compared);
* every upstream task is itself unchanged against the *same* run R (so inputs
  are byte-identical, and Ploomber's timestamps stay in order);
* R ran on the same Python and the same installed packages.

Restored tasks are recorded as ``skipped`` with ``produced_by`` the run that
executed them, exactly like any up-to-date task. As with Ploomber's own
incremental builds, a task is assumed to be a function of its source, parameters
and inputs; tasks that read undeclared files or the network are not detected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nbops.adapters import TaskInfo, metadata_path
from nbops.contracts import Manifest
from nbops.core import HashCache, NbopsError, Project, redact
from nbops.runs import _provenance as provenance
from nbops.runs._checkout import checkout_run
from nbops.runs._ledger import list_runs, load_manifest

logger = logging.getLogger("nbops")

#: How many of the newest runs are searched.
SEARCH_LIMIT = 200


@dataclass
class ReusePlan:
    """The earlier run to restore from, and which of the coming build's tasks."""

    run_id: str | None = None
    tasks: list[str] = field(default_factory=list)
    needed: bool = False  # some of those tasks would otherwise execute
    #: products (with Ploomber metadata) of the tasks downstream of ``tasks``
    downstream: list[Path] = field(default_factory=list)


def _current_sources(project: Project, tasks: Iterable[TaskInfo]) -> dict[str, str | None]:
    cache = HashCache(project.hash_cache_path)
    sources = {info.name: (cache.hash(info.source_path)[0] if info.source_path else None)
               for info in tasks}
    cache.save()
    return sources


def _unchanged(manifest: Manifest, tasks: list[TaskInfo],
               sources: dict[str, str | None], project: Project) -> list[str]:
    """The coming build's tasks that are unchanged against ``manifest`` (upstream-closed)."""
    recorded = manifest["tasks"]
    matching: set[str] = set()
    for info in tasks:
        entry = recorded.get(info.name)
        if entry is None or entry["status"] not in ("executed", "skipped"):
            continue
        if sources[info.name] is None or entry["source"]["hash"] != sources[info.name]:
            continue
        if redact(info.params) != info.params or manifest["params"].get(info.name) != info.params:
            continue
        declared = {key: project.relative(path) for key, path in info.products.items()}
        products = entry["products"]
        if set(products) != set(declared) or any(
                products[key].get("path") != declared[key] or not products[key].get("hash")
                for key in declared):
            continue
        matching.add(info.name)
    # keep only tasks whose whole upstream matches too (fixpoint over the DAG)
    upstream = {info.name: set(info.upstream) for info in tasks}
    changed = True
    while changed:
        changed = False
        for name in sorted(matching):
            if not upstream[name] <= matching:
                matching.discard(name)
                changed = True
    return [info.name for info in tasks if info.name in matching]


def plan_reuse(project: Project, tasks: list[TaskInfo]) -> ReusePlan:
    """The newest earlier run from which the most of ``tasks`` can be restored."""
    sources = _current_sources(project, tasks)
    python, _ = provenance.interpreter()
    packages = provenance.installed_packages()
    best = ReusePlan()
    for summary in sorted(list_runs(project), key=lambda s: s["run_id"],
                          reverse=True)[:SEARCH_LIMIT]:
        if summary["status"] not in ("succeeded", "gated", "failed"):
            continue
        try:
            manifest = load_manifest(project, summary["run_id"])
        except NbopsError as exc:
            logger.info("nbops: run %s not considered for reuse: %s", summary["run_id"],
                        exc.problem)
            continue
        env_of_run = manifest["provenance"]
        if env_of_run.get("python") != python or env_of_run.get("packages") != packages:
            continue
        names = _unchanged(manifest, tasks, sources, project)
        if len(names) > len(best.tasks):
            best = ReusePlan(summary["run_id"], names)
    will_run = {info.name for info in tasks if info.will_run}
    best.needed = bool(will_run & set(best.tasks))
    best.downstream = [path for info in _downstream(tasks, set(best.tasks))
                       for path in info.products.values()]
    return best


def _downstream(tasks: list[TaskInfo], restored: set[str]) -> list[TaskInfo]:
    """The tasks that depend, directly or not, on a restored one (and are not restored)."""
    below: set[str] = set()
    changed = True
    while changed:
        changed = False
        for info in tasks:
            if info.name not in restored and info.name not in below and (
                    set(info.upstream) & (restored | below)):
                below.add(info.name)
                changed = True
    return [info for info in tasks if info.name in below]


def restore(project: Project, plan: ReusePlan) -> list[str]:
    """Restore the planned tasks' products (verified) when a build would otherwise redo them.

    Returns the names of the tasks restored (empty when nothing needed it).

    Raises:
        IntegrityError: a stored object is missing or corrupt (nothing is written).
    """
    if plan.run_id is None or not plan.needed:
        return []
    checkout_run(project, plan.run_id, tasks=plan.tasks)
    # Restored products carry their original (older) timestamps, so Ploomber would
    # take a downstream product built from *other* inputs for up to date: forget
    # what it knows about those, and they are built again from the restored inputs.
    for product in plan.downstream:
        metadata_path(product).unlink(missing_ok=True)
    logger.info("nbops: restored %s from run %s", ", ".join(plan.tasks), plan.run_id)
    return list(plan.tasks)
