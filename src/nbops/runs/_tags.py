"""Run tags: short labels a caller attaches to the runs it starts.

A command that starts builds (``nbops sweep``) sets ``NBOPS_RUN_TAGS`` to a JSON
object of names to scalars (``{"sweep": "lr-search", "trial": 3}``); the ledger
records it as the manifest's ``tags`` and in the run index, so the runs can be
found again without reading every manifest. Tags are labels, not parameters:
the build's parameters stay in ``params`` and ``env``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from nbops.core import ConfigError, is_secret_name

TAGS_ENV = "NBOPS_RUN_TAGS"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")

Tags = dict[str, str | int | float | bool]


def run_tags(environ: dict[str, str] | None = None) -> Tags:
    """The tags requested for this build (empty when ``NBOPS_RUN_TAGS`` is unset).

    Raises:
        ConfigError: the variable is not a JSON object of names to short scalars.
    """
    raw = (os.environ if environ is None else environ).get(TAGS_ENV, "").strip()
    if not raw:
        return {}
    fix = f'set {TAGS_ENV} to a JSON object such as {{"sweep": "lr", "trial": 1}}'
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{TAGS_ENV} is not valid JSON ({exc.msg})", fix) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{TAGS_ENV} is not a JSON object", fix)
    tags: Tags = {}
    for name, value in data.items():
        tags[name] = check_tag(name, value, TAGS_ENV, fix)
    return tags


def check_tag(name: Any, value: Any, where: str, fix: str) -> str | int | float | bool:
    """``value`` when ``name=value`` is a valid tag.

    Raises:
        ConfigError: a bad name (or one that names a secret), or a value that is not a
            short string, number or boolean.
    """
    if not isinstance(name, str) or not _NAME.match(name) or is_secret_name(name):
        raise ConfigError(f"{where} has a tag named {name!r}",
                          "name tags with a letter then letters, digits or _.- "
                          "(and never after a secret)")
    if not isinstance(value, str | int | float | bool) or (
            isinstance(value, str) and len(value) > 200):
        raise ConfigError(f"{where} tag {name!r} is not a short string, number "
                          "or boolean", fix)
    return value
