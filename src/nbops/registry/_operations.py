"""Changes to the registry: register a version, move an alias, roll it back.

Each change is one locked, atomic :func:`~nbops.registry._registry_file.transaction`,
and every alias move appends to the model's history who moved it, when, why,
from where and to where.
"""

from __future__ import annotations

import getpass
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nbops.core import RegistryError, mask_credentials, redact_argv
from nbops.core import utc_now_iso as now_iso
from nbops.registry import _registry_file as registry_file
from nbops.registry._artifacts import verified_path
from nbops.registry._refs import DEFAULT_ALIAS, get_model

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion, MoveActor, NewVersion, RegisteredModel

logger = logging.getLogger("nbops")


@dataclass(frozen=True)
class Actor:
    """Who moved an alias: a run, or a command typed by someone."""

    run_id: str | None = None
    command: tuple[str, ...] = ()

    @classmethod
    def from_process(cls, run_id: str | None = None) -> Actor:
        """The current process's command line (and run, if any), secrets redacted."""
        return cls(run_id=run_id, command=tuple(redact_argv(sys.argv)))

    def to_dict(self) -> MoveActor:
        """JSON form for the history."""
        try:
            user: str | None = getpass.getuser()
        except (KeyError, OSError):
            user = None
        return {"run_id": self.run_id, "command": list(self.command), "user": user}


def register_version(root: Path, name: str, record: NewVersion) -> tuple[int, bool]:
    """Add ``record`` (everything but ``version``/``registered_at``) as a new version.

    A model file already registered under ``name`` is not registered twice.

    Returns:
        The version number, and whether it is new.
    """
    with registry_file.transaction(root) as data:
        model = data["models"].setdefault(
            name, {"created_at": now_iso(), "versions": [], "aliases": {}, "history": []}
        )
        for existing in model["versions"]:
            if existing["artifact"]["hash"] == record["artifact"]["hash"]:
                return existing["version"], False
        number = len(model["versions"]) + 1
        at = now_iso()
        entry: ModelVersion = {"version": number, "registered_at": at, **record}
        entry["version"], entry["registered_at"] = number, at  # not a caller's own
        model["versions"].append(entry)
    logger.info("registered %s:%d", name, number)
    return number, True


def _move(model: RegisteredModel, alias: str, to: int | None, reason: str, actor: Actor,
          action: Literal["promote", "rollback"]) -> int | None:
    before = model["aliases"].get(alias)
    if to is None:
        model["aliases"].pop(alias, None)
    else:
        model["aliases"][alias] = to
    model["history"].append(
        {"alias": alias, "from": before, "to": to, "at": now_iso(), "reason": reason,
         "by": actor.to_dict(), "action": action}
    )
    return before


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise RegistryError("an alias move needs a reason", "pass --reason 'why this version'")
    return mask_credentials(reason.strip())  # the history is committed to git


class AliasMoved(RegistryError):
    """The alias changed between reading it and moving it (a concurrent promotion)."""


_UNSET = object()


def promote(root: Path, name: str, version: int, alias: str = DEFAULT_ALIAS, *,
            reason: str, actor: Actor, expect: Any = _UNSET) -> int | None:
    """Point ``name@alias`` at ``version``; return the version it pointed to before.

    Args:
        expect: when given, the version (or None) the alias must still point
            to; guards a compare-then-promote against a concurrent move.

    Raises:
        RegistryError: unknown model or version, empty reason, the alias
            already points there, or the version's model file is missing or does
            not hash to what the registry recorded.
        AliasMoved: ``expect`` was given and the alias points elsewhere now.
    """
    reason = _require_reason(reason)
    with registry_file.transaction(root) as data:
        model = get_model(data, name)
        if expect is not _UNSET and model["aliases"].get(alias) != expect:
            raise AliasMoved(
                f"{name}@{alias} moved to version {model['aliases'].get(alias)} while this "
                f"run compared against version {expect}",
                "re-run the build so that it compares against the new champion",
            )
        record = next((v for v in model["versions"] if v["version"] == version), None)
        if record is None:
            raise RegistryError(
                f"model {name!r} has no version {version} (it has {len(model['versions'])})",
                f"list them with: nbops models {name}",
            )
        if model["aliases"].get(alias) == version:
            raise RegistryError(
                f"{name}@{alias} already points to version {version}", "nothing to do"
            )
        # what the alias will point to is re-hashed first: a corrupt or missing model file
        # is refused here, not by the service that loads it after the move
        verified_path(root, record, f"{name}:{version}")
        before = _move(model, alias, version, reason, actor, "promote")
    logger.info("%s@%s: %s -> %s", name, alias, before, version)
    return before


def rollback_target(model: RegisteredModel, alias: str) -> int | None:
    """The version ``alias`` pointed to before its current promotion, or None.

    Rollbacks unwind promotions one at a time: two rollbacks after three
    promotions return to the first version.
    """
    stack: list[int | None] = []
    for move in model["history"]:
        if move["alias"] != alias:
            continue
        if move.get("action") == "rollback":
            if stack:
                stack.pop()
        else:
            stack.append(move["to"])
    return stack[-2] if len(stack) >= 2 else None


def rollback(root: Path, name: str, alias: str = DEFAULT_ALIAS, *, reason: str,
             actor: Actor) -> tuple[int, int]:
    """Move ``name@alias`` back to the version it had before; return (from, to).

    Raises:
        RegistryError: unknown model, no earlier version to go back to, or its
            model file is missing or altered.
    """
    reason = _require_reason(reason)
    with registry_file.transaction(root) as data:
        model = get_model(data, name)
        current = model["aliases"].get(alias)
        target = rollback_target(model, alias)
        if current is None or target is None:
            raise RegistryError(
                f"{name}@{alias} has no earlier version to roll back to",
                f"promote a version explicitly: nbops promote {name} VERSION --alias {alias} "
                "--reason TEXT",
            )
        verified_path(root, next(v for v in model["versions"] if v["version"] == target),
                      f"{name}:{target}")  # as promote: the file is re-hashed before the move
        _move(model, alias, target, reason, actor, "rollback")
    logger.info("%s@%s rolled back: %s -> %s", name, alias, current, target)
    return current, target
