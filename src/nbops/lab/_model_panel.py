"""The project's registered model in the panel: champion, challenger, promote, rollback.

Promote and rollback make the same calls, in the same order, as ``nbops promote`` and
``nbops rollback`` (``nbops.cli._registry``): the model card requirement
(``registry.require_card``) is checked first, the registry re-hashes the version's
model file before moving the alias, a new champion's card records the
``model_card.yaml`` it was promoted with, and the report site is rewritten. A
refusal is the same one sentence the command prints; nothing changes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion
    from nbops.lab._answers import ModelView, Promoted, RolledBack, VersionRow

logger = logging.getLogger("nbops")

#: how many versions the panel lists (newest first)
SHOWN_VERSIONS = 10


def _version_row(record: ModelVersion, aliases: list[str]) -> VersionRow:
    return {"version": record["version"], "aliases": aliases, "run_id": record["run_id"],
            "registered_at": record["registered_at"], "metrics": record["metrics"]}


def model_view(root: Path) -> ModelView:
    """Champion, challenger and the latest versions of the project's model."""
    from nbops.registry import project_model_name, read_registry

    name = project_model_name(root)
    model = read_registry(root)["models"].get(name)
    if model is None:
        return {"model": name, "registered": False, "champion": None, "challenger": None,
                "versions": []}
    by_version: dict[int, list[str]] = {}
    for alias, number in sorted(model["aliases"].items()):
        by_version.setdefault(number, []).append(alias)
    rows = {v["version"]: _version_row(v, by_version.get(v["version"], []))
            for v in model["versions"]}
    champion, challenger = model["aliases"].get("champion"), model["aliases"].get("challenger")
    return {
        "model": name, "registered": True,
        "champion": rows.get(champion) if champion is not None else None,
        "challenger": rows.get(challenger) if challenger is not None else None,
        "versions": [rows[n] for n in sorted(rows, reverse=True)[:SHOWN_VERSIONS]],
    }


def promote(root: Path, model: str, version: int, alias: str, reason: str) -> Promoted:
    """``nbops promote MODEL VERSION --alias ALIAS --reason REASON``, from the panel.

    Raises:
        RegistryError: the card is incomplete, the version is unknown or already there,
            its model file is missing or altered, or the reason is empty.
    """
    from nbops.app import promote_alias

    command = ("nbops lab", "promote", model, str(version), "--alias", alias, "--reason", reason)
    move = promote_alias(root, model, version, alias, reason, command)
    return {"ok": True, "model": model, "alias": alias, "version": version,
            "previous": move.previous, "notes": move.notes}


def rollback(root: Path, model: str, alias: str, reason: str) -> RolledBack:
    """``nbops rollback MODEL --alias ALIAS --reason REASON``, from the panel.

    Raises:
        RegistryError: no earlier version, or its model file is missing or altered.
    """
    from nbops.app import roll_back_alias

    command = ("nbops lab", "rollback", model, "--alias", alias, "--reason", reason)
    move = roll_back_alias(root, model, alias, reason, command)
    return {"ok": True, "model": model, "alias": alias, "from": move.previous,
            "to": move.current, "notes": move.notes}
