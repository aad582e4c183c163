"""Run ids: ``YYYYmmddTHHMMSSffffffZ-xxxxxx``.

UTC time to the microsecond plus six random base32 characters: sortable as a
plain string, unique across concurrent processes, and safe as a folder name.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RUN_ID_PATTERN = r"^[0-9]{8}T[0-9]{12}Z-[a-z2-7]{6}$"
_RUN_ID_RE = re.compile(RUN_ID_PATTERN)


def new_run_id(now: datetime | None = None) -> str:
    """Return a fresh run id for ``now`` (default: the current UTC time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    return moment.strftime("%Y%m%dT%H%M%S%fZ") + "-" + suffix


def is_run_id(value: str) -> bool:
    """Whether ``value`` has the shape of a run id."""
    return bool(_RUN_ID_RE.match(value))


def utc_now_iso() -> str:
    """The current UTC time as an ISO 8601 string with a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    """Parse a timestamp written by :func:`utc_now_iso`."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
