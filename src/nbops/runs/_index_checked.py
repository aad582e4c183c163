"""How much of the run index was already checked: ``.nbops/cache/index-checked.json``.

Checking every line of ``reports/runs/index.jsonl`` against ``run_index.schema.json``
on every read was most of the time ``nbops runs`` took over 10,000 runs, yet the
index only grows by appends. The first reader that checks a line remembers it
here: how many leading bytes of the index were checked, their blake3 digest,
which of those lines were damaged (0-based, one line per ``\\n``) and the digest
of the schema they were checked against. A later reader whose index starts with
exactly those bytes checks only the lines after them, and still skips the
remembered damaged lines; any other index (compacted, rewritten, edited in
place, truncated) or another schema (another nbops version) is checked in full
again, so a damaged line is always found. The file only saves time: when it is
missing, unreadable or cannot be written, every line is checked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from nbops.core import Project, atomic_write_json, hash_bytes, schema_errors

logger = logging.getLogger("nbops")


@dataclass(frozen=True)
class CheckedPrefix:
    """The first ``length`` bytes of the index were checked; ``damaged`` lines among them."""

    length: int = 0
    damaged: frozenset[int] = frozenset()


def checked_path(project: Project) -> Path:
    """``.nbops/cache/index-checked.json``."""
    return project.state_dir / "cache" / "index-checked.json"


@cache
def _schema_digest() -> str:
    """The digest of the schema the lines are checked against."""
    return hash_bytes(resources.files("nbops.core.schemas")
                      .joinpath("run_index.schema.json").read_bytes())


def checked_prefix(project: Project, raw: bytes) -> CheckedPrefix:
    """What is known to have been checked of the index whose content is ``raw``."""
    try:
        data = json.loads(checked_path(project).read_bytes())
    except (OSError, ValueError):
        return CheckedPrefix()
    if schema_errors(data, "index_checked") or data["schema"] != _schema_digest():
        return CheckedPrefix()
    length = data["length"]
    if length > len(raw) or hash_bytes(raw[:length]) != data["digest"]:
        return CheckedPrefix()  # not the bytes that were checked: check everything
    return CheckedPrefix(length, frozenset(data["damaged"]))


def remember_checked(project: Project, raw: bytes, length: int, damaged: set[int]) -> None:
    """Record that the first ``length`` bytes of ``raw`` were checked (best effort)."""
    data = {"schema_version": 1, "schema": _schema_digest(), "length": length,
            "digest": hash_bytes(raw[:length]), "damaged": sorted(damaged)}
    try:
        atomic_write_json(checked_path(project), data, durable=False)
    except OSError as exc:  # a read-only project: the next reader checks again
        logger.debug("nbops: %s not written (%s)", checked_path(project), exc)
