"""What ``nbops push`` keeps back: objects that hold a secret of the run.

The pages and the run folder's notebooks are redacted when a run closes, but
some stored objects must stay byte-exact for their hashes to hold: the raw
executed notebooks (``nbops checkout`` restores them), Ploomber's metadata files
(``.metadata``, with every parameter) and the uncommitted git diff (which may
change env.yaml). Redacting them would break the manifest that names them, so a
push *withholds* each object that holds one of the run's secrets, and says so
in the run's ``contents.json``; a pull writes that list into the run folder
(``withheld.json``) and ``nbops verify`` reports those objects as withheld, not
missing.

The run's secrets are what redaction would hide (:func:`nbops.core.secret_replacements`):
the values of secret-named parameters and the credentials inside values, read
from the raw notebooks' and metadata files' parameters, plus secret-named
settings and URL passwords on the lines the git diff adds or removes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.contracts import Manifest
from nbops.core import (
    MAX_SECRET_SCAN,
    REDACTED,
    ContentStore,
    is_secret_name,
    secret_replacements,
)

if TYPE_CHECKING:
    from nbops.contracts import JSONObject

WHY = "holds a secret of the run (a secret parameter, a credential or a secret setting)"
_MIN_LENGTH = 4  # as redaction: shorter strings are not searched for in free text
_YAML_PAIR = re.compile(r"^\s*[\"']?(?P<name>[A-Za-z0-9_.\-]+)[\"']?\s*[:=]\s*(?P<value>.+?)\s*$")


def _params_of(data: bytes) -> JSONObject:
    """The parameters a raw notebook (papermill metadata) or a Ploomber metadata file holds."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    metadata = doc.get("metadata")
    papermill = metadata.get("papermill") if isinstance(metadata, dict) else None
    params = papermill.get("parameters") if isinstance(papermill, dict) else doc.get("params")
    return params if isinstance(params, dict) else {}


def _diff_secrets(diff: bytes) -> set[str]:
    found: set[str] = set()
    for raw in diff.decode("utf-8", "replace").splitlines():
        if not raw.startswith(("+", "-")) or raw.startswith(("+++", "---")):
            continue
        line = raw[1:]
        found |= set(secret_replacements(line))
        pair = _YAML_PAIR.match(line)
        if pair and is_secret_name(pair.group("name")):
            value = pair.group("value").strip().strip("'\"")
            if value:
                found.add(value)
    return found


def run_secrets(manifest: Manifest, store: ContentStore) -> set[str]:
    """The raw secret strings of a run (long enough to be searched for)."""
    found: set[str] = set()
    for task in manifest["tasks"].values():
        for product in task["products"].values():
            notebook = str(product.get("path", "")).endswith(".ipynb")
            for digest in (product.get("metadata_hash"), product.get("hash") if notebook else None):
                if digest and store.has(digest):
                    found |= set(secret_replacements(_params_of(store.read_bytes(digest))))
    git = manifest["provenance"]["git"]
    diff_hash = git["diff_hash"]
    if diff_hash and store.has(diff_hash):
        found |= _diff_secrets(store.read_bytes(diff_hash))
    return {s for s in found if len(s) >= _MIN_LENGTH and REDACTED not in s}


def _needles(secrets: Iterable[str]) -> list[bytes]:
    out = set()
    for secret in secrets:
        out.add(secret.encode("utf-8"))
        out.add(json.dumps(secret)[1:-1].encode("utf-8"))  # as it appears inside JSON
    return sorted(out, key=len, reverse=True)


def holds_secret(path: Path, secrets: Iterable[str]) -> bool:
    """Whether the file ``path`` contains any of ``secrets``."""
    needles = _needles(secrets)
    if not needles or path.stat().st_size > MAX_SECRET_SCAN:
        return False
    data = path.read_bytes()
    return any(needle in data for needle in needles)
