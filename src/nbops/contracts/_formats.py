"""Every on-disk format nbops writes and reads, with its version and its upgrades.

One :class:`Format` per file format (and :class:`~nbops.contracts.Section` per manifest
section, which builds one): its name, where it lives, its current ``schema_version``,
the JSON Schema that validates it, and ``upgraders``: ``{from_version: function}``, each
turning a document of ``from_version`` into one of ``from_version + 1`` (as nbformat's
``convert`` steps through its versions). Reading goes through :meth:`Format.upgrade`
before the schema check:

* a document with no ``schema_version`` is the oldest version (1);
* an older one is upgraded step by step, on a copy, into the current version: an
  in-memory view. Nothing is written back (runs are immutable and sealed: a seal is
  always checked against the bytes on disk, never against the upgraded view);
* a newer one (written by a later nbops) is refused with one sentence naming the
  file, its version and the fix, in the error class the format's readers already raise.

No format has changed incompatibly yet: every one is at version 1, with no upgraders
(docs/contracts.md, "Versioned formats", says how to change one).
``FORMATS`` lists them all; formats whose reader lives in ``nbops.core`` (the lock, the
hash cache) are listed for the record, and are read there, below this layer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from nbops.contracts._run_record import LiveStatus, Manifest, RunSummary
from nbops.core import (
    ConfigError,
    DataError,
    IntegrityError,
    LedgerError,
    NbopsError,
    RegistryError,
    RemoteError,
    atomic_write_bytes,
    dumps_json,
    schema_errors,
)

DocT = TypeVar("DocT")

#: Turns a document of version ``n`` (a fresh copy it may change) into one of ``n + 1``.
Upgrader = Callable[[dict[str, Any]], dict[str, Any]]

OLDEST_VERSION = 1
NEWER_FIX = ("upgrade nbops (pip install --upgrade nbops) to the version that wrote it, "
             "or read it with that version")


@dataclass(frozen=True)
class Format(Generic[DocT]):
    """One on-disk format: name, location, current version, schema, upgraders.

    ``schema`` is the name of ``<schema>.schema.json`` in ``schema_package`` (None for the
    few formats nbops checks by hand). ``versioned=False`` marks a format that carries no
    ``schema_version`` (its version is implicit, and only an upgrader could change it).
    ``error`` is the exception its readers raise, so a refusal reaches the same handlers.
    """

    name: str
    location: str
    schema: str | None
    schema_package: str = "nbops.core.schemas"
    version: int = OLDEST_VERSION
    upgraders: Mapping[int, Upgrader] = field(default_factory=lambda: MappingProxyType({}))
    versioned: bool = True
    error: type[NbopsError] = IntegrityError

    def __post_init__(self) -> None:
        missing = [v for v in range(OLDEST_VERSION, self.version) if v not in self.upgraders]
        if missing:
            raise ValueError(f"format {self.name!r} is at version {self.version} but has no "
                             f"upgrader from version {missing[0]}")

    def version_of(self, document: object) -> object:
        """The version ``document`` says it is (the oldest when it says none)."""
        if not self.versioned or not isinstance(document, dict):
            return OLDEST_VERSION
        return document.get("schema_version", OLDEST_VERSION)

    def upgrade(self, document: Any, where: object) -> Any:
        """``document`` at this format's current version (never changed in place).

        A document that is not a JSON object, or whose version is not a positive
        integer, is returned as it is: the schema check that follows names the problem.

        Raises:
            the format's ``error``: ``document`` is newer than this nbops reads.
        """
        found = self.version_of(document)
        if (not isinstance(document, dict) or not isinstance(found, int)
                or isinstance(found, bool) or found < OLDEST_VERSION):
            return document
        if found > self.version:
            raise self.error(f"{where} has schema_version {found}, newer than the "
                             f"{self.name} version {self.version} this nbops reads", NEWER_FIX)
        if found == self.version and (not self.versioned or "schema_version" in document):
            return document
        upgraded: dict[str, Any] = copy.deepcopy(document)
        for step in range(found, self.version):
            upgraded = self.upgraders[step](upgraded)
        if self.versioned:
            upgraded["schema_version"] = self.version
        return upgraded

    def errors(self, document: object) -> list[str]:
        """Every way ``document`` violates this format's schema (empty if valid)."""
        if self.schema is None:
            return []
        return schema_errors(document, self.schema, self.schema_package)

    def load(self, document: Any, where: object) -> DocT:
        """``document`` upgraded to the current version and checked against the schema.

        Raises:
            the format's ``error``: it is newer than this nbops, or it is invalid.
        """
        current = self.upgrade(document, where)
        errors = self.errors(current)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise self.error(f"{where} does not match the {self.name} schema: "
                             f"{errors[0]}{more}",
                             "restore it from a backup, or delete it if nbops can rebuild it")
        loaded: DocT = current  # the schema check above makes it one
        return loaded

    def read(self, path: Path) -> DocT:
        """Load the file at ``path`` (see :meth:`load`); nothing is written back.

        Raises:
            the format's ``error``: it is missing, not UTF-8 JSON, newer, or invalid.
        """
        path = Path(path)
        try:
            document = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise self.error(f"No {self.name} file at {path}",
                             "check the path, or run the command that writes it") from None
        except ValueError as exc:
            raise self.error(f"{path} is not valid {self.name} JSON ({exc})",
                             "restore it from a backup, or delete it if nbops can rebuild it"
                             ) from None
        return self.load(document, path)

    def dumps(self, document: DocT) -> bytes:
        """The bytes :meth:`write` writes, after checking ``document`` against the schema."""
        errors = self.errors(document)
        if errors:
            raise self.error(f"nbops produced an invalid {self.name} document: "
                             f"{'; '.join(errors[:5])}",
                             "this is a bug in nbops; please report it with the message above")
        return dumps_json(document).encode("utf-8")

    def write(self, path: Path, document: DocT) -> None:
        """Validate ``document`` and replace the file at ``path`` atomically."""
        atomic_write_bytes(Path(path), self.dumps(document))


def _core(name: str, location: str, error: type[NbopsError] = IntegrityError,
          schema_file: bool = True) -> Format[Any]:
    """A format whose schema, if it has one, is ``nbops/core/schemas/<name>.schema.json``."""
    return Format(name, location, name if schema_file else None, error=error)


# The run ledger (nbops.runs, nbops.contracts).
MANIFEST_FILE: Format[Manifest] = _core(
    "manifest", "reports/runs/<run_id>/manifest.json")
SEAL_FILE = _core("seal", "reports/runs/<run_id>/seal.json")
RUN_INDEX_LINE: Format[RunSummary] = _core("run_index", "reports/runs/index.jsonl (each line)")
INDEX_CHECKED = _core("index_checked", ".nbops/cache/index-checked.json")
LIVE_STATUS: Format[LiveStatus] = _core("live_status", "reports/runs/<run_id>/live.json")
PULLED_RUN = _core("pulled_run", "reports/runs/<run_id>/pulled.json")
PINS = _core("pins", ".nbops/pins.json")
# Feature records (each feature reads its own; reports read them all).
REGISTRY_FILE = _core("registry", ".nbops/registry/models.json", error=RegistryError)
REGISTRY_SEAL = _core("registry_seal", ".nbops/registry/models.seal.json",
                      RegistryError, schema_file=False)
SWEEP_RECORD = _core("sweep", "reports/sweeps/<name>/sweep.json")
REPRODUCTION_RECORD = _core("reproduction", "reports/runs/<run_id>/reproductions/<id>.json")
MONITOR_REPORT = _core("monitor_report", "the monitor step's monitor_report.json", DataError)
CARD_EVALUATION: Format[dict[str, Any]] = Format(
    "card_evaluation", "the evaluate step's card_evaluation.json", "card_evaluation",
    "nbops.cards.schemas", error=DataError)
DATA_SCHEMA: Format[dict[str, Any]] = Format(
    "data_schema", "the validate step's data_schema.json", "data_schema",
    "nbops.validation.schemas", error=ConfigError)
FEATURE_SCHEMA: Format[dict[str, Any]] = Format(
    "feature_schema", "the features step's feature_schema.json", "feature_schema",
    "nbops.validation.schemas", error=ConfigError)
TASK_RESULT: Format[dict[str, Any]] = Format(
    "task_result", "open-runs/<run_id>/tasks/<task>.json on the remote", "task_result",
    "nbops.orchestration.schemas", error=LedgerError)
# The team remote (nbops.remote, nbops.sync).
REMOTE_INDEX = _core("remote_index", "runs/index.json on the remote",
                     RemoteError, schema_file=False)
RUN_CONTENTS = _core("run_contents", "runs/<run_id>/contents.json on the remote",
                     schema_file=False)
RUN_SIGNATURE = _core("run_signature", "runs/<run_id>/signature.json on the remote")
# Read and written in nbops.core, below this layer: listed for the record.
LOCK = _core("lock", ".nbops/lock")
HASH_CACHE = _core("hash_cache", ".nbops/cache/hashes.json")

#: Every versioned file format, by name.
FORMATS: Mapping[str, Format[Any]] = MappingProxyType({
    f.name: f for f in (
        MANIFEST_FILE, SEAL_FILE, RUN_INDEX_LINE, INDEX_CHECKED, LIVE_STATUS, PULLED_RUN,
        PINS, REGISTRY_FILE, REGISTRY_SEAL, SWEEP_RECORD, REPRODUCTION_RECORD,
        MONITOR_REPORT, CARD_EVALUATION, DATA_SCHEMA, FEATURE_SCHEMA, TASK_RESULT,
        REMOTE_INDEX, RUN_CONTENTS, RUN_SIGNATURE, LOCK, HASH_CACHE)
})
