"""Reproduce a run and publish its reproduction page.

Two features meet here: :mod:`nbops.reproduce` re-executes the run in a scratch copy
(with the registry's champion restored there when the run was a monitoring run, by
:mod:`nbops.registry`), and :mod:`nbops.reports` writes the reproduction's page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbops.contracts import ReproductionRecord
    from nbops.core import Project
    from nbops.reproduce import EnvironmentReport

Announce = Callable[["EnvironmentReport", list[str]], None]


def registry_state(root: Path, scratch: Path, manifest: Mapping[str, Any]) -> list[str]:
    """The registry as a monitoring run read it: its champion, from the store, in the
    reproduction's scratch copy (reproduce runs it, the registry restores it)."""
    champion = (manifest.get("monitoring") or {}).get("champion")
    if not isinstance(champion, dict) or not champion.get("model") or not champion.get("version"):
        return []
    from nbops.registry import parse_ref, restore_champion

    alias = "champion"
    for params in (manifest.get("params") or {}).values():  # the reference it scored with
        ref = (params or {}).get("champion") if isinstance(params, dict) else None
        if isinstance(ref, str) and "@" in ref:
            alias = parse_ref(ref).alias or alias
    return [restore_champion(root, scratch, str(champion["model"]), int(champion["version"]),
                             alias=alias, run_id=manifest.get("run_id"))]


@dataclass
class PublishedReproduction:
    """A finished reproduction: the result (``verdict``, ``tasks``…), its record as a
    dict, and the page written for it."""

    result: Any
    record: ReproductionRecord
    page: Path


def reproduce_and_publish(run: str, project: Project, *, strict: bool = False,
                          keep: bool = False, timeout: float | None = None,
                          announce: Announce | None = None,
                          trust_unsigned: bool = False) -> PublishedReproduction:
    """Re-execute ``run`` in a scratch copy, compare it task by task, write its page.

    Raises:
        ReproduceError: the run cannot be reproduced at all (one sentence).
    """
    from nbops.reports import publish_reproduction
    from nbops.reproduce import reproduce_run

    result = reproduce_run(run, project=project, strict=strict, keep=keep, timeout=timeout,
                           announce=announce, restore=registry_state,
                           trust_unsigned=trust_unsigned)
    record = result.to_dict()
    page = publish_reproduction(project.run_dir(result.run_id), record)
    return PublishedReproduction(result, record, page)
