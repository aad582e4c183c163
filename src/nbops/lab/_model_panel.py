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
from typing import Any

logger = logging.getLogger("nbops")

#: how many versions the panel lists (newest first)
SHOWN_VERSIONS = 10


def _version_row(record: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
    return {"version": record["version"], "aliases": aliases, "run_id": record["run_id"],
            "registered_at": record["registered_at"], "metrics": record["metrics"]}


def model_view(root: Path) -> dict[str, Any]:
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


def _refresh_site(root: Path) -> str | None:
    """Rewrite the report site after a move (as the CLI does); a warning if it failed."""
    from nbops.core import NbopsError
    from nbops.reports import render_site

    reports = Path(root) / "reports"
    if not (reports / "index.html").is_file():
        return None
    try:
        render_site(reports)
    except (NbopsError, OSError, ValueError) as exc:
        return f"the report site was not refreshed ({exc}); run `nbops report --all`"
    return None


def promote(root: Path, model: str, version: int, alias: str, reason: str) -> dict[str, Any]:
    """``nbops promote MODEL VERSION --alias ALIAS --reason REASON``, from the panel.

    Raises:
        RegistryError: the card is incomplete, the version is unknown or already there,
            its model file is missing or altered, or the reason is empty.
    """
    from nbops.cards import record_written_part
    from nbops.core import NbopsError, Project
    from nbops.registry import Actor, check_card_for_alias, get_version
    from nbops.registry import promote as promote_version

    check_card_for_alias(root, model, alias)
    command = ("nbops lab", "promote", model, str(version), "--alias", alias, "--reason", reason)
    before = promote_version(root, model, version, alias, reason=reason,
                             actor=Actor(command=command))
    notes = []
    if alias == "champion":
        record = get_version(f"{model}:{version}", root)
        run_id = record.get("registered_by_run") or record["run_id"]
        try:
            record_written_part(Project(root), run_id)
        except NbopsError as exc:  # the promotion stands; only its card is not refreshed
            notes.append(f"the card of run {run_id} was not updated ({exc.problem})")
    warning = _refresh_site(root)
    if warning:
        notes.append(warning)
    return {"ok": True, "model": model, "alias": alias, "version": version,
            "previous": before, "notes": notes}


def rollback(root: Path, model: str, alias: str, reason: str) -> dict[str, Any]:
    """``nbops rollback MODEL --alias ALIAS --reason REASON``, from the panel.

    Raises:
        RegistryError: no earlier version, or its model file is missing or altered.
    """
    from nbops.registry import Actor
    from nbops.registry import rollback as rollback_alias

    command = ("nbops lab", "rollback", model, "--alias", alias, "--reason", reason)
    current, target = rollback_alias(root, model, alias, reason=reason,
                                     actor=Actor(command=command))
    warning = _refresh_site(root)
    return {"ok": True, "model": model, "alias": alias, "from": current, "to": target,
            "notes": [warning] if warning else []}
