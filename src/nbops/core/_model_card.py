"""``model_card.yaml``: what only a person can write on a model card.

Kept next to ``pipeline.yaml`` and versioned with the code::

    owner: churn team <churn@example.com>
    intended_use: Rank this month's customers by churn risk for the retention team.
    out_of_scope_uses:
      - Pricing or credit decisions about an individual customer.
    limitations:
      - Trained on synthetic data; re-validate before using it on real customers.
    risks: ...                 # optional, like ethical_considerations and notes

The registry refuses to promote a model to champion while a field of
:data:`REQUIRED_FIELDS` is missing or empty (``registry.require_card``); the
card step records the file's content with the run, so each version's card
keeps the words it was registered with. Shared by ``nbops.registry`` (the
check) and ``nbops.cards`` (the card), hence here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbops.core._errors import ConfigError
from nbops.core._yaml_files import load_yaml

FILE_NAME = "model_card.yaml"
#: what promotion to champion needs, in the order people are asked for it
REQUIRED_FIELDS = ("intended_use", "out_of_scope_uses", "limitations", "owner")
OPTIONAL_FIELDS = ("risks", "ethical_considerations", "notes")
_KNOWN = REQUIRED_FIELDS + OPTIONAL_FIELDS


def _text_or_list(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    return False


def read_model_card(root: Path) -> dict[str, Any] | None:
    """The project's ``model_card.yaml`` as a mapping, or None when there is none.

    Raises:
        ConfigError: the file is not YAML, not a mapping, has an unknown key, or
            a value that is neither text nor a list of texts.
    """
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return None
    data = load_yaml(path, "model card")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is a {type(data).__name__}, not a mapping",
                          f"write one 'field: text' line per field ({', '.join(_KNOWN)})")
    unknown = sorted(str(k) for k in data if k not in _KNOWN)
    if unknown:
        raise ConfigError(f"{path} has unknown field(s) {', '.join(unknown)}",
                          f"use only {', '.join(_KNOWN)}")
    for key, value in data.items():
        if value is not None and not (isinstance(value, (str, list)) and
                                      (value == "" or value == [] or _text_or_list(value))):
            raise ConfigError(f"{FILE_NAME}'s {key} is {value!r}",
                              "write it as text or as a list of texts")
    return {str(k): v for k, v in data.items()}


def missing_card_fields(card: dict[str, Any] | None) -> list[str]:
    """The required fields ``card`` lacks or leaves empty (all of them when there is no card)."""
    if card is None:
        return list(REQUIRED_FIELDS)
    return [name for name in REQUIRED_FIELDS if not _text_or_list(card.get(name))]


def missing_card_sentence(missing: list[str], model: str) -> str:
    """One sentence naming what the card lacks, for a refused promotion."""
    return (f"{model}'s model card lacks {', '.join(missing)}: write "
            f"{'it' if len(missing) == 1 else 'them'} in {FILE_NAME} next to pipeline.yaml "
            "(see docs/model-cards.md)")
