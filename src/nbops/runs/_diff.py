"""``nbops diff RUN_A RUN_B``: what changed between two runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from nbops.contracts import Manifest
from nbops.core import flatten


def _flatten(data: Mapping[str, Any]) -> dict[str, object]:
    return {key.dotted: value for key, value in flatten(data).items()}


class Change(TypedDict):
    """A value in run ``a`` and in run ``b`` (None: not there)."""

    a: object
    b: object


class MetricChange(TypedDict):
    """A metric in both runs and how it moved (None when either lacks it)."""

    a: float | None
    b: float | None
    delta: float | None


def _changes(a: Mapping[str, object], b: Mapping[str, object]) -> dict[str, Change]:
    return {key: {"a": a.get(key), "b": b.get(key)}
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)}


def _task_status(manifest: Manifest, name: str) -> str | None:
    task = manifest["tasks"].get(name)
    return task.get("status") if task is not None else None


def diff_runs(a: Manifest, b: Manifest) -> dict[str, Any]:
    """Differences from run ``a`` to run ``b``, section by section (empty sections: no change)."""
    metrics: dict[str, MetricChange] = {}
    for name in sorted(set(a["metrics"]) | set(b["metrics"])):
        old, new = a["metrics"].get(name), b["metrics"].get(name)
        if old != new:
            delta = new - old if old is not None and new is not None else None
            metrics[name] = {"a": old, "b": new, "delta": delta}
    tasks = {name: {"a": _task_status(a, name), "b": _task_status(b, name)}
             for name in sorted(set(a["tasks"]) | set(b["tasks"]))}
    products = {}
    for name in sorted(set(a["tasks"]) & set(b["tasks"])):
        hashes_a = {k: v.get("hash") for k, v in a["tasks"][name]["products"].items()}
        hashes_b = {k: v.get("hash") for k, v in b["tasks"][name]["products"].items()}
        changed = sorted(k for k in set(hashes_a) | set(hashes_b)
                         if hashes_a.get(k) != hashes_b.get(k))
        if changed:
            products[name] = changed
    git_a, git_b = a["provenance"]["git"], b["provenance"]["git"]
    return {
        "a": a["run_id"],
        "b": b["run_id"],
        "status": {"a": a["status"], "b": b["status"]},
        "executed_in_b": [name for name, task in b["tasks"].items()
                          if task["status"] in ("executed", "failed")],
        "tasks": tasks,
        "params": _changes(_flatten(a["params"]), _flatten(b["params"])),
        "env": _changes(_flatten(a["env"]), _flatten(b["env"])),
        "sources": _changes(a["provenance"]["sources"], b["provenance"]["sources"]),
        "config": _changes(a["provenance"].get("config", {}), b["provenance"].get("config", {})),
        "inputs": _changes(a["provenance"]["inputs"], b["provenance"]["inputs"]),
        "packages": _changes(a["provenance"]["packages"], b["provenance"]["packages"]),
        "git": _changes({k: git_a.get(k) for k in ("commit", "dirty", "diff_hash")},
                        {k: git_b.get(k) for k in ("commit", "dirty", "diff_hash")}),
        "products": products,
        "metrics": metrics,
    }
