"""What pulling a run from the team remote records beside it, as types.

``pulled.json`` in the run folder is written by :mod:`nbops.sync` (``nbops pull``) and
read by :mod:`nbops.runs` (the run page's origin, the refusal to act on an unverified
run) and by the next push. Its validator is ``nbops/core/schemas/pulled_run.schema.json``.
(No ``from __future__ import annotations`` here: the types are read at run time.)
"""

from typing import Literal, TypedDict


class _PulledRequired(TypedDict):
    signature: Literal["verified", "unverified"]


class PulledRecord(_PulledRequired, total=False):
    """``pulled.json`` (``pulled_run.schema.json``, where all but ``why`` and ``key_id`` are
    required); an unreadable one is read as only ``signature`` and ``why``."""

    schema_version: int
    remote: str
    pulled_at: str
    contents_hash: str
    why: str
    key_id: str
