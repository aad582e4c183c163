"""Keep secrets out of manifests, reports, the registry and logs.

The one implementation of redaction; everything that records or shows a
value goes through here:

- values whose key looks like a secret (token, password, secret, key,
  credential, ...) are replaced by :data:`REDACTED`, at any depth;
- credentials inside values are masked wherever they appear: the password of
  a URL (``postgresql://user:pass@host/db`` → ``postgresql://user:***redacted***@host/db``)
  and the value of a secret-named ``key=value`` pair (``password=pass`` in a
  DSN or query string, ``--token=…`` on a command line);
- :func:`secret_replacements` lists the raw secret strings of a set of
  parameters with their replacements, and :func:`scrub` applies them to every
  string of a JSON-like tree (notebook sources and outputs, for instance).

Environment variables are never recorded unless their name is whitelisted,
and even then a secret-looking name is redacted and credentials in the value
are masked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***redacted***"
#: files larger than this are data, not notebooks or metadata: never read whole to look
#: for a secret (every check that scans a file for one: push, scheduled tasks, Dask)
MAX_SECRET_SCAN = 1 << 30

_SECRET_NAME = re.compile(
    r"(token|passw(or)?d|passwd|passphrase|pwd|secret|credential|api[_-]?key|private[_-]?key|"
    r"access[_-]?key|(^|[_\-.])keys?($|[_\-.])|authorization|cookie|dsn|"
    # Azure: AZURE_STORAGE_CONNECTION_STRING, its AccountKey=/SharedAccessSignature=, SAS sig=
    r"connection[_-]?string|account[_-]?key|shared[_-]?access[_-]?signature|(^|[_\-.])sig$)",
    re.IGNORECASE,
)

#: Environment variables recorded by default (none of them carries a secret).
DEFAULT_ENV_WHITELIST = (
    "NBOPS_RUN_ID", "PYTHONHASHSEED", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
)


#: ``scheme://user:password@host``: the password (group ``password``) is masked.
_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"<>]*:)(?P<password>[^\s@/'\"<>]+)(?=@)"
)
#: ``password=value`` / ``token: value`` inside a longer string (DSNs, query strings, headers).
_SECRET_PAIR = re.compile(
    r"(?P<head>(?<![A-Za-z0-9])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*)"
    r"(?P<value>(?!\*\*\*redacted|/)[^\s&;,'\"<>]+)"
)
#: Secrets shorter than this are not searched for inside free text (notebook
#: outputs): replacing every "ab" in a page would mangle it and hide nothing.
MIN_SCRUB_LENGTH = 4


def is_secret_name(name: str) -> bool:
    """Whether a parameter, setting or variable called ``name`` may hold a secret."""
    return bool(_SECRET_NAME.search(str(name)))


def mask_credentials(text: str) -> str:
    """``text`` with URL passwords and secret-named ``key=value`` values replaced.

    >>> mask_credentials("postgresql://user:pass@host/db")
    'postgresql://user:***redacted***@host/db'
    """
    if not isinstance(text, str) or ("@" not in text and "=" not in text and ":" not in text):
        return text
    text = _URL_CREDENTIALS.sub(lambda m: m.group("head") + REDACTED, text)

    def pair(match: re.Match[str]) -> str:
        if not is_secret_name(match.group("name")):
            return match.group(0)
        return match.group("head") + REDACTED

    return _SECRET_PAIR.sub(pair, text)


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
    if isinstance(value, str):
        return mask_credentials(value)
    return value


def secret_replacements(value: Any, name: str = "") -> dict[str, str]:
    """Every raw secret string inside ``value`` mapped to what replaces it.

    A secret-named value maps to :data:`REDACTED` (numbers too, as text); a
    string with credentials maps to its masked form, and the bare password to
    :data:`REDACTED`, so a notebook that prints either shows neither.
    """
    found: dict[str, str] = {}
    if name and is_secret_name(name):
        for raw in _leaves(value):
            if raw:
                found[raw] = REDACTED
        return found
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.update(secret_replacements(item, str(key)))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.update(secret_replacements(item))
    elif isinstance(value, str):
        masked = mask_credentials(value)
        if masked != value:
            found[value] = masked
            for match in _URL_CREDENTIALS.finditer(value):
                found[match.group("password")] = REDACTED
            for match in _SECRET_PAIR.finditer(value):
                if is_secret_name(match.group("name")):
                    found[match.group("value")] = REDACTED
    return found


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def scrub(value: Any, replacements: Mapping[str, str]) -> Any:
    """A copy of ``value`` (a JSON-like tree) with every ``raw`` in its strings replaced.

    Longer secrets are replaced first, so a URL is masked as a whole before
    its password alone would be; secrets shorter than :data:`MIN_SCRUB_LENGTH`
    are skipped inside free text.
    """
    pairs = sorted(((raw, new) for raw, new in replacements.items()
                    if len(raw) >= MIN_SCRUB_LENGTH and raw != new),
                   key=lambda pair: -len(pair[0]))
    if not pairs:
        return value
    return rewrite_strings(value, pairs)


def secret_byte_pairs(replacements: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """Each raw secret of ``replacements`` (:func:`secret_replacements`) and what replaces
    it, as bytes, also as both appear inside JSON strings; longest first, so a URL is
    replaced whole before its password alone. For searching files as they are stored
    (a notebook, Ploomber's metadata); secrets shorter than :data:`MIN_SCRUB_LENGTH` are
    skipped, as in free text.
    """
    import json

    pairs: dict[bytes, bytes] = {}
    for raw, new in replacements.items():
        if len(raw) < MIN_SCRUB_LENGTH or REDACTED in raw or raw == new:
            continue
        pairs[raw.encode("utf-8")] = new.encode("utf-8")
        pairs[json.dumps(raw)[1:-1].encode("utf-8")] = json.dumps(new)[1:-1].encode("utf-8")
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def rewrite_strings(value: Any, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> Any:
    """Replace every ``old`` by ``new`` in every string inside ``value``, in order."""
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
    return _rewrite(value, items)


def _rewrite(value: Any, items: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in items:
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_rewrite(item, items) for item in value]
    if isinstance(value, dict):
        return {key: _rewrite(item, items) for key, item in value.items()}
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
        name: (REDACTED if is_secret_name(name) else mask_credentials(source[name]))
        for name in sorted(set(whitelist))
        if name in source
    }


def redact_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """``argv`` with the value of every secret-named option and every credential replaced.

    Covers ``--env--db--password VALUE``, ``--token=VALUE`` and
    ``--env--db--url postgresql://user:pass@host/db``, so a command
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
            out.append(mask_credentials(arg))
            hide_next = arg.startswith("-") and is_secret_name(arg)
    return out
