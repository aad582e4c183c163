"""Move a model's alias by hand: ``nbops promote`` / ``rollback`` and the lab panel's buttons.

One sequence for both front ends: the card requirement first (``registry.require_card``),
then the registry's own checks (the version's model file re-hashed), then what the move
changes elsewhere: a new champion's card records the ``model_card.yaml`` it was promoted
with, and the report site stops showing the champion of before. Those last two are best
effort: the move stands, and each problem comes back as a note for the front end to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AliasMove:
    """What a promotion or rollback did.

    Attributes:
        previous: the version the alias pointed to before (None: it was new).
        current: the version it points to now.
        notes: what was not brought up to date (the card, the site), one sentence each.
    """

    previous: int | None
    current: int
    notes: list[str] = field(default_factory=list)


def promote_alias(root: Path, model: str, version: int, alias: str, reason: str,
                  command: tuple[str, ...]) -> AliasMove:
    """Point ``model@alias`` at ``version``, recorded with ``reason`` and ``command``.

    Raises:
        RegistryError: the card is incomplete, the version is unknown, its model file
            is missing or altered, or the reason is empty.
    """
    from nbops.core import ProjectSettings
    from nbops.registry import Actor, check_card_for_alias
    from nbops.registry import promote as promote_version

    # the move's one read of env.yaml (registry.require_card), for a champion only: as
    # before, moving another alias does not depend on the file
    settings = (ProjectSettings.of_project(root, mapping_required=False)
                if alias == "champion" else ProjectSettings())
    check_card_for_alias(root, model, alias, settings)
    before = promote_version(root, model, version, alias, reason=reason,
                             actor=Actor(command=command))
    move = AliasMove(before, version)
    if alias == "champion":
        move.notes += _record_card(root, model, version)
    move.notes += _refresh(root)
    return move


def roll_back_alias(root: Path, model: str, alias: str, reason: str,
                    command: tuple[str, ...]) -> AliasMove:
    """Move ``model@alias`` back to the version it pointed to before.

    Raises:
        RegistryError: no earlier version, or its model file is missing or altered.
    """
    from nbops.registry import Actor
    from nbops.registry import rollback as rollback_alias

    current, target = rollback_alias(root, model, alias, reason=reason,
                                     actor=Actor(command=command))
    return AliasMove(current, target, _refresh(root))


def _record_card(root: Path, model: str, version: int) -> list[str]:
    from nbops.cards import record_written_part
    from nbops.core import NbopsError, Project
    from nbops.registry import get_version

    record = get_version(f"{model}:{version}", root)
    run_id = record.get("registered_by_run") or record["run_id"]
    if run_id is None:
        return [f"{model}:{version} has no card to update: it was registered outside a run"]
    try:
        record_written_part(Project(root), run_id)
    except NbopsError as exc:  # the promotion stands; only its card is not refreshed
        return [f"the card of run {run_id} was not updated ({exc.problem})"]
    return []


def _refresh(root: Path) -> list[str]:
    from nbops.app._pages import refresh_site

    problem = refresh_site(root)
    if problem is None:
        return []
    return [f"the report site was not refreshed ({problem}); run `nbops report --all`"]
