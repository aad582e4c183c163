"""Promotion to champion needs a written model card (``registry.require_card``).

A project whose ``env.yaml`` sets ``registry: {require_card: true}`` (the
default of projects made by ``nbops new`` and ``nbops init --registry``)
promotes no model to ``@champion`` while its ``model_card.yaml`` lacks an
intended use, out-of-scope uses, limitations or an owner. The pipeline then
registers the model without promoting it, and ``nbops promote`` refuses with
the same one sentence, before anything changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbops.core import RegistryError, missing_card_fields, missing_card_sentence, read_model_card
from nbops.registry._refs import DEFAULT_ALIAS

if TYPE_CHECKING:
    from nbops.core import ProjectSettings


def card_refusal(root: Path, model: str) -> str | None:
    """Why ``model`` may not become champion yet (its card's missing fields), or None."""
    missing = missing_card_fields(read_model_card(root))
    return missing_card_sentence(missing, model) if missing else None


def project_requires_card(root: Path, settings: ProjectSettings | None = None) -> bool:
    """Whether the project's ``env.yaml`` sets ``registry.require_card: true``.

    ``settings``: the project's env.yaml as the command read it; read here when None.
    """
    if settings is None:
        from nbops.core import ProjectSettings

        settings = ProjectSettings.read(Path(root) / "env.yaml", mapping_required=False)
    return settings.section("registry").get("require_card") is True


def check_card_for_alias(root: Path, model: str, alias: str,
                         settings: ProjectSettings | None = None) -> None:
    """Refuse moving ``model@alias`` when it is the champion and the card is incomplete.

    ``settings``: the project's env.yaml as the command read it; read here when None.

    Raises:
        RegistryError: the one sentence naming the missing fields.
    """
    if alias != DEFAULT_ALIAS or not project_requires_card(root, settings):
        return
    refusal = card_refusal(root, model)
    if refusal is not None:
        raise RegistryError(f"not promoted: {refusal}",
                            "then run the same nbops promote again")
