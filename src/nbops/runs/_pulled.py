"""Where a run came from: ``pulled.json``, the record ``nbops pull`` leaves beside a pulled run.

A run folder without it was built on this machine. One with it came from the team
remote, and says whether the team key's signature of the run verified
(:mod:`nbops.remote._run_signature`) or not (no signature, or no key here). The record
sits beside the manifest, never in it: the run's manifest and seal stay exactly as
pushed, and push never uploads the record.

Commands that act on a run's code or parameters (``nbops reproduce`` runs the code it
records, ``nbops apply`` writes its parameters into ``env.yaml``) call
:func:`require_verified` first: an unverified pulled run could have been written by anyone
who can write the bucket. A record that cannot be read counts as unverified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

from nbops.core import IntegrityError, Project, atomic_write_json, schema_errors

if TYPE_CHECKING:
    from nbops.contracts import PulledRecord

PULLED_NAME = "pulled.json"
VERIFIED: Final = "verified"
UNVERIFIED: Final = "unverified"


def read_pulled(run_dir: Path) -> PulledRecord | None:
    """The pull record of the run in ``run_dir``; None for a run built here.

    An unreadable or invalid record is returned as an unverified one (never trusted).
    """
    path = Path(run_dir) / PULLED_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        record = None
    if schema_errors(record, "pulled_run"):
        return {"signature": UNVERIFIED, "why": f"its {PULLED_NAME} is unreadable"}
    pulled: PulledRecord = record  # json.loads gives Any: the schema check above makes it one
    return pulled


def write_pulled(run_dir: Path, record: PulledRecord) -> None:
    """Write (or replace) the pull record of the run in ``run_dir`` (validated, atomic)."""
    errors = schema_errors(record, "pulled_run")
    if errors:
        raise ValueError(f"invalid pull record: {errors[0]}")
    atomic_write_json(Path(run_dir) / PULLED_NAME, record)


def origin_label(run_dir: Path) -> str | None:
    """What the run page says of where the run came from (None: built here)."""
    record = read_pulled(run_dir)
    if record is None:
        return None
    remote = f" (from {record['remote']})" if record.get("remote") else ""
    if record["signature"] == VERIFIED:
        return f"pulled, signature verified{remote}"
    return f"pulled, unverified: {record.get('why', 'no signature')}{remote}"


def require_verified(project: Project, run_id: str, doing: str, *,
                     trust_unsigned: bool = False) -> None:
    """Refuse to act on a pulled run whose team-key signature did not verify.

    Args:
        doing: what the command would do with the run (``run its code`` …), for the sentence.
        trust_unsigned: the user said they trust whoever pushed it (``--trust-unsigned``).

    Raises:
        IntegrityError: the run was pulled unverified and ``trust_unsigned`` is false.
    """
    record = read_pulled(project.run_dir(run_id))
    if trust_unsigned or record is None or record["signature"] == VERIFIED:
        return
    raise IntegrityError(
        f"Run {run_id} was pulled from the team remote unverified ({record.get('why')}), so "
        f"anyone who can write the bucket could have written it, and nbops will not {doing}",
        f"push it again from a machine with the team key (`nbops push {run_id}`), then run "
        f"`nbops pull {run_id}` here; or pass --trust-unsigned if you trust who pushed it")
