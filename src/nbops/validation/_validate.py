"""Check a frame against a :class:`DataSchema`, all checks at once."""

from __future__ import annotations

import logging

import pandas as pd

from nbops.core import ValidationError
from nbops.validation._checks import to_pandera
from nbops.validation._failures import describe_failures
from nbops.validation._spec import DataSchema

logger = logging.getLogger("nbops")


DEFAULT_FIX = (
    "correct the data at its source, or update the schema if the new values are legitimate"
)


def validate(
    frame: pd.DataFrame, schema: DataSchema, *, name: str = "the data", fix: str = DEFAULT_FIX
) -> pd.DataFrame:
    """Return ``frame`` unchanged if it satisfies ``schema``.

    Args:
        frame: the table to check.
        schema: the rules.
        name: how to call the table in the error message.
        fix: what the error message tells the reader to do.

    Raises:
        ValidationError: naming every failing column and check with a few
            offending values, in one sentence.
    """
    import pandera.errors

    try:
        to_pandera(schema).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        lines = describe_failures(exc.failure_cases, n_rows=len(frame))
        raise ValidationError(
            f"{name} failed {len(lines)} validation check(s): " + "; ".join(lines),
            fix,
        ) from None
    logger.debug("%s passed %d column checks", name, len(schema.columns))
    return frame
