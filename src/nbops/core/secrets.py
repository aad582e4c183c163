"""Keep secrets out of manifests and reports.

Values whose key looks like a secret (token, password, secret, key,
credential, ...) are replaced by :data:`REDACTED`, at any depth. Environment
variables are never recorded unless their name is whitelisted, and even then a
secret-looking name is redacted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***redacted***"

_SECRET_NAME = re.compile(
    r"(token|passw(or)?d|passwd|passphrase|pwd|secret|credential|api[_-]?key|private[_-]?key|"
    r"access[_-]?key|(^|[_\-.])keys?($|[_\-.])|authorization|cookie|dsn)",
    re.IGNORECASE,
)

#: Environment variables recorded by default (none of them carries a secret).
DEFAULT_ENV_WHITELIST = (
    "NBOPS_RUN_ID", "PYTHONHASHSEED", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
)


def is_secret_name(name: str) -> bool:
    """Whether a parameter, setting or variable called ``name`` may hold a secret."""
    return bool(_SECRET_NAME.search(str(name)))


def redact(value: Any, name: str = "") -> Any:
    """Return a copy of ``value`` with every secret-named entry replaced.

    Args:
        value: any JSON-like structure (dicts, lists, scalars).
        name: the key ``value`` was found under, if any.
    """
    if name and is_secret_name(name):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


#: Comma-separated extra variable names to record, e.g. ``NBOPS_RECORD_ENV=CUDA_HOME,TZ``.
RECORD_ENV_VAR = "NBOPS_RECORD_ENV"


def whitelisted_env(whitelist: Iterable[str] = DEFAULT_ENV_WHITELIST,
                    environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whitelisted environment variables that are set, secrets redacted.

    The whitelist is ``whitelist`` plus the names listed in ``$NBOPS_RECORD_ENV``.
    """
    source = os.environ if environ is None else environ
    extra = [name.strip() for name in source.get(RECORD_ENV_VAR, "").split(",") if name.strip()]
    whitelist = [*whitelist, *extra]
    return {
        name: (REDACTED if is_secret_name(name) else source[name])
        for name in sorted(set(whitelist))
        if name in source
    }


def redact_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """``argv`` with the value of every secret-named option replaced.

    Covers ``--env--db--password VALUE`` and ``--token=VALUE``, so a command
    line recorded in a manifest or in the registry (which is committed to git)
    never carries a secret typed on it.
    """
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
        elif arg.startswith("-") and "=" in arg and is_secret_name(arg.split("=", 1)[0]):
            out.append(arg.split("=", 1)[0] + "=" + REDACTED)
        else:
            out.append(arg)
            hide_next = arg.startswith("-") and is_secret_name(arg)
    return out
