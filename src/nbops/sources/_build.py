"""A build's query sources: snapshot each before any task runs, and say what changed.

Called by ``nbops.hooks.on_render`` with the tasks' rendered parameters. In a
reproduction build (``nbops reproduce``) no database is contacted: the snapshots are
the ones the reproduced run recorded, restored from the content store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nbops.contracts import SourceRecord
from nbops.sources._query import QuerySource, find_query_sources
from nbops.sources._snapshot import Snapshot, frozen_snapshot, take_snapshot

logger = logging.getLogger("nbops")

#: The manifest section the build's snapshots are recorded in.
SECTION = "sources"

#: ``(source) -> (columns, who) | None``: the columns a source had when the model now in
#: service was trained, to refuse a changed column type (the hooks ask the registry).
ReferenceColumns = Callable[[QuerySource], "tuple[list[dict[str, str]], str] | None"]


def snapshot_sources(params: Mapping[str, Mapping[str, Any]], root: Path,
                     reproduction: bool = False,
                     reference: ReferenceColumns | None = None,
                     before_replace: Callable[[QuerySource], None] | None = None
                     ) -> list[Snapshot]:
    """Take this build's snapshot of every query source, in task order.

    ``before_replace(source)`` is called when a result changed, before its file is
    replaced (see :func:`~nbops.sources._snapshot.take_snapshot`).

    Raises:
        ConfigError, DataError: a query cannot run or its result is unusable (nothing
            has run yet, and the previous snapshots are intact).
        ReproduceError: a reproduction misses a recorded snapshot.
    """
    snapshots = []
    for source in find_query_sources(params, root):
        if reproduction:
            snapshot = frozen_snapshot(source)
            logger.info("nbops: %s reads the snapshot the reproduced run recorded (%s, %d "
                        "rows), not the live database", source.name, snapshot.hash[:19],
                        snapshot.rows)
        else:
            known = reference(source) if reference is not None else None
            columns, who = known if known is not None else (None, "")
            snapshot = take_snapshot(source, columns, who, before_replace)
            state = "changed" if snapshot.changed else "unchanged"
            logger.info("nbops: %s: query result %s (%d rows, %s, %.2f s)", source.name,
                        state, snapshot.rows, snapshot.hash[:19], snapshot.query_s)
        snapshots.append(snapshot)
    return snapshots


def section(snapshots: list[Snapshot]) -> dict[str, SourceRecord]:
    """The manifest's ``sources`` section: ``{task.param: record}``."""
    return {snap.source.name: snap.record() for snap in snapshots}


def reproduction_notes(sources: Mapping[str, SourceRecord] | None) -> list[str]:
    """What ``nbops reproduce`` says about a run's query sources: one line each."""
    return [f"Data: {name} read its recorded snapshot {record['hash'][:19]}… "
            f"({record['rows']:,} rows) from the content store, not the live database "
            f"({record['connection']})"
            for name, record in sorted((sources or {}).items())]
