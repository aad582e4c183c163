"""``card_evaluation.json``: read, check and write the card's numbers (no data library).

Its format is described in :mod:`nbops.cards._evaluation`, its JSON Schema is
``nbops/cards/schemas/card_evaluation.schema.json`` (``schema_version: 1``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbops.contracts import CARD_EVALUATION, CardEvaluation
from nbops.core import DataError, atomic_write_json, schema_errors

SCHEMA_VERSION = 1
SCHEMAS = "nbops.cards.schemas"


def evaluation_errors(evaluation: Any) -> list[str]:
    """Every way ``evaluation`` violates ``card_evaluation.schema.json`` (empty if valid)."""
    return schema_errors(evaluation, "card_evaluation", SCHEMAS)


def write_evaluation(path: str | Path, evaluation: CardEvaluation) -> Path:
    """Write ``card_evaluation.json`` (schema-checked, atomic)."""
    errors = evaluation_errors(evaluation)
    if errors:
        raise DataError(f"the card evaluation is invalid: {'; '.join(errors[:3])}",
                        "this is a bug in nbops; please report it")
    atomic_write_json(Path(path), evaluation)
    return Path(path)


def read_evaluation(data: bytes) -> CardEvaluation:
    """Parse and check a stored ``card_evaluation.json``.

    Raises:
        DataError: it is not valid JSON or does not match its schema.
    """
    try:
        evaluation = json.loads(data)
    except ValueError as exc:
        raise DataError(f"card_evaluation.json is not JSON ({exc})",
                        "rebuild the evaluate step") from None
    evaluation = CARD_EVALUATION.upgrade(evaluation, "card_evaluation.json")
    errors = evaluation_errors(evaluation)
    if errors:
        raise DataError(f"card_evaluation.json is invalid: {'; '.join(errors[:3])}",
                        "rebuild the evaluate step with this version of nbops")
    checked: CardEvaluation = evaluation  # valid against its schema, just checked
    return checked
