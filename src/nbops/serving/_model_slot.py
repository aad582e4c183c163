"""The model a service answers with, and the watcher that swaps it when its alias moves.

A :class:`LoadedModel` is immutable: a request takes the slot's current model
once and uses it to the end, so the version it reports is the one that scored
it.  The :class:`Watcher` polls the registry file's identity (inode, size,
mtime); when it changes it resolves the reference again, and if the alias
points elsewhere it loads the new version *fully* (hash-checked, deserialised,
one warm-up prediction) before replacing the slot's reference in one
assignment.  Requests in flight finish on the old model; none waits or fails.

With a team remote, the local file is only a mirror: a promotion made on
another clone changes the remote's ``registry/models.json``. The watcher then
also reads that document every ``remote_interval`` seconds
(:func:`nbops.registry.follow_remote_registry`: one GET of a few KB, parsed only
when its ETag changed) and mirrors it here, which the file check above then
sees. A promotion anywhere is served within ``remote_interval`` plus the load
of the new version; an unreachable remote keeps the current model serving.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nbops.core import NbopsError, RegistryError, of_version
from nbops.registry import (
    ModelRef,
    OnnxModel,
    OnnxNotConvertible,
    convert_to_onnx,
    follow_remote_registry,
    keep_onnx_form,
    load_verified,
    load_verified_onnx,
    no_onnx_form,
    onnx_parity_problem,
    parse_ref,
    read_registry,
    registry_path,
    resolve_version,
    store_of,
)
from nbops.validation import prepare_for_model

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion
    from nbops.core import FeatureSchemaRecord, InputSpec

logger = logging.getLogger("nbops")


@dataclass(frozen=True)
class LoadedModel:
    """One registered version, ready to score raw records.

    Attributes:
        name: Registered model name.
        version: Version number.
        model: What scores: the deserialised model or its ONNX form (``predict_proba``).
        schema: Its feature schema (dict).
        preparation: The input-preparation spec applied before scoring.
        allowed: Column names a request may carry (the training data's columns).
        threshold: Probability at or above which the label is 1.
        scorer: ``onnx`` (its ONNX form under onnxruntime) or ``sklearn``.
        scorer_version: The scoring library and its version.
    """

    name: str
    version: int
    model: Any
    schema: FeatureSchemaRecord
    preparation: InputSpec
    allowed: frozenset[str]
    threshold: float = 0.5
    id_columns: tuple[str, ...] = field(default=())
    scorer: str = "sklearn"
    scorer_version: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    @property
    def categorical(self) -> tuple[str, ...]:
        """The input columns the model reads as categories (text)."""
        return tuple(self.preparation.get("categorical", ()))

    def scores(self, features: pd.DataFrame) -> np.ndarray:
        """Positive-class probabilities of a prepared feature frame."""
        proba = self.model.predict_proba(features)
        return np.asarray(proba)[:, -1].astype(np.float64)


def _threshold(record: ModelVersion) -> float:
    value = (record.get("metrics") or {}).get("threshold")
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else 0.5


def load(root: Path, ref: ModelRef, record: ModelVersion) -> LoadedModel:
    """Load ``record`` (the version ``ref`` resolved to) and score one warm-up row.

    Raises:
        RegistryError: missing or tampered model file, or a model that cannot
            score a row of its own training data.
    """
    label = f"{ref.name}:{record['version']}"
    recorded: FeatureSchemaRecord = record["feature_schema"]
    schema = recorded.copy()
    preparation = of_version(record)
    numeric = list(preparation.get("numeric", ()))
    categorical = list(preparation.get("categorical", ()))
    onnx_form = load_verified_onnx(root, record, label)
    model: Any = None
    if onnx_form is not None:
        try:
            model = OnnxModel(onnx_form, numeric, categorical)
        except Exception as exc:  # noqa: BLE001 - onnxruntime gone: scikit-learn answers
            logger.warning("nbops serve-model: %s: its kept ONNX form cannot be opened "
                           "(%s: %s); loading the model", label, type(exc).__name__, exc)
    if model is None:
        model = _onnx_or_model(root, record, label, preparation,
                               load_verified(root, record, label, keep=True))
    allowed = set(preparation.get("numeric", ())) | set(preparation.get("categorical", ()))
    allowed |= set(schema.get("id_columns") or ())
    for column in (schema.get("target"), schema.get("date_column")):
        if column:
            allowed.add(column)
    warm: pd.DataFrame | None = None
    training = record.get("training_data") or {}
    path = store_of(root).path_for(training["hash"]) if training.get("hash") else None
    if path is not None and path.is_file():
        import pyarrow as pa
        import pyarrow.parquet as pq

        # one row of the first row group: neither the whole table nor pyarrow.dataset
        # (whose import read_table needs) for a warm-up
        training_file = pq.ParquetFile(path)
        allowed |= set(training_file.schema_arrow.names)
        first = next(training_file.iter_batches(batch_size=1), None)
        if first is not None:
            warm = pa.Table.from_batches([first]).to_pandas()
    loaded = LoadedModel(
        name=ref.name, version=int(record["version"]), model=model, schema=schema,
        preparation=preparation, allowed=frozenset(allowed), threshold=_threshold(record),
        id_columns=tuple(schema.get("id_columns") or ()),
        scorer=getattr(model, "scorer", "sklearn"),
        scorer_version=getattr(model, "version", None) or _sklearn_version(),
    )
    if warm is not None:
        frame, problems = prepare_for_model(warm, preparation)
        if problems:
            raise RegistryError(
                f"{label} cannot prepare a row of its own training data: {problems[0].message}",
                "re-register the model from its run",
            )
        loaded.scores(frame)
    return loaded


def _sklearn_version() -> str:
    from importlib.metadata import version

    return f"scikit-learn {version('scikit-learn')}"


#: Rows of the version's test data (else training data) its ONNX form is checked on.
PARITY_ROWS = 2000


def _parity_rows(root: Path, record: ModelVersion, preparation: InputSpec
                 ) -> pd.DataFrame:
    """Up to :data:`PARITY_ROWS` prepared rows of the version's test (or training) data."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for entry in (record.get("test_data"), record.get("training_data")):
        digest = entry["hash"] if entry else None
        path = store_of(root).path_for(digest) if digest else None
        if path is None or not path.is_file():
            continue
        first = next(pq.ParquetFile(path).iter_batches(batch_size=PARITY_ROWS), None)
        if first is None:
            continue
        frame, problems = prepare_for_model(pa.Table.from_batches([first]).to_pandas(),
                                            preparation)
        if not problems:
            return frame
    return pd.DataFrame()


def _onnx_or_model(root: Path, record: ModelVersion, label: str,
                   preparation: InputSpec, model: Any) -> Any:
    """The model's ONNX form when it scores the version's rows as the model does, else
    the model; either way, one line says which answers and why (docs/serving.md)."""
    reason = no_onnx_form(record)
    if reason is None:
        numeric = list(preparation.get("numeric", ()))
        categorical = list(preparation.get("categorical", ()))
        try:
            form = convert_to_onnx(model, numeric, categorical)
            onnx_model = OnnxModel(form, numeric, categorical)
        except ImportError as exc:  # not remembered: it may be installed before next start
            logger.warning("nbops serve-model: %s answers with scikit-learn: skl2onnx or "
                           "onnxruntime is not installed (%s; the serve extra has both)",
                           label, exc)
            return model
        except Exception as exc:  # noqa: BLE001 - any failure to convert or to open the
            # form means scikit-learn answers, never a failed start
            reason = (str(exc) if isinstance(exc, OnnxNotConvertible)
                      else f"onnxruntime cannot run its ONNX form ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''})")
        else:
            rows = _parity_rows(root, record, preparation)
            reason = onnx_parity_problem(model, onnx_model, rows, _threshold(record))
            if reason is None:
                keep_onnx_form(record, form)
                logger.warning("nbops serve-model: %s answers with its ONNX form (%s): it "
                               "scored %d rows of its data as the model does", label,
                               onnx_model.version, len(rows))
                return onnx_model
            reason = f"its ONNX form is not used: {reason}"
        keep_onnx_form(record, None, reason)
    logger.warning("nbops serve-model: %s answers with scikit-learn: %s", label, reason)
    return model


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ModelSlot:
    """Holds the current :class:`LoadedModel`; replaced by one reference assignment."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root = Path(root)
        self.ref = parse_ref(ref)
        self._identity = _identity(registry_path(self.root))
        record = resolve_version(read_registry(self.root), self.ref)
        self.current: LoadedModel = load(self.root, self.ref, record)
        self.swaps = 0
        self.last_error: str | None = None
        self.remote_seen: str | None = None  # version of the remote registry last mirrored
        self.remote_polls = 0
        self.remote_changes = 0
        self.remote_errors = 0

    def follow_remote(self) -> bool:
        """Mirror the team remote's registry if it changed, then :meth:`refresh`.

        Returns:
            True if the model was swapped. A remote that cannot be read leaves the
            current model serving (logged once per distinct problem, kept in
            ``last_error``).
        """
        self.remote_polls += 1
        try:
            seen = follow_remote_registry(self.root, self.remote_seen)
        except NbopsError as exc:
            self.remote_errors += 1
            if self.last_error != str(exc):
                logger.warning("nbops serve-model: keeping %s: the team remote's registry "
                               "could not be read (%s)", self.current.label, exc)
            self.last_error = str(exc)
            return False
        if seen != self.remote_seen:
            if self.remote_seen is not None:
                self.remote_changes += 1
            self.remote_seen = seen
            if self.last_error is not None and "team remote" in self.last_error:
                self.last_error = None
        return self.refresh()

    def refresh(self) -> bool:
        """Reload if the registry changed and the reference points elsewhere; True if swapped.

        A registry that cannot be read, or a new version that cannot be
        loaded (for any reason), leaves the current model serving (the problem
        is logged and kept in ``last_error``, which /healthz shows).
        """
        identity = _identity(registry_path(self.root))
        if identity == self._identity:
            return False
        self._identity = identity
        try:
            record = resolve_version(read_registry(self.root), self.ref)
            if int(record["version"]) == self.current.version:
                return False
            loaded = load(self.root, self.ref, record)
        except RegistryError as exc:
            self.last_error = str(exc)
            logger.warning("nbops serve-model: keeping %s: %s", self.current.label, exc)
            return False
        except Exception as exc:  # a file that hashes right but is no model, a model that
            # cannot score: the same failed swap, which /healthz must show
            self.last_error = (f"cannot load {self.ref.name}:{record['version']} "
                               f"({type(exc).__name__}: {exc}); still answering with "
                               f"{self.current.label}")
            logger.exception("nbops serve-model: keeping %s", self.current.label)
            return False
        before = self.current.label
        self.current = loaded  # one assignment: requests see the old or the new model
        self.swaps += 1
        self.last_error = None
        logger.warning("nbops serve-model: %s now answers (was %s)", loaded.label, before)
        return True


class Watcher(threading.Thread):
    """Background thread calling :meth:`ModelSlot.refresh` every ``interval`` seconds,
    and :meth:`ModelSlot.follow_remote` every ``remote_interval`` seconds when the
    project has a team remote (``remote_interval`` 0: never)."""

    def __init__(self, slot: ModelSlot, interval: float = 0.25,
                 on_swap: Any = None, remote_interval: float = 0.0) -> None:
        super().__init__(name="nbops-model-watcher", daemon=True)
        self.slot = slot
        self.interval = interval
        self.on_swap = on_swap
        self.remote_interval = remote_interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        import time

        next_remote = time.monotonic() + self.remote_interval
        while not self._stop_event.wait(self.interval):
            try:
                remote_due = self.remote_interval > 0 and time.monotonic() >= next_remote
                if remote_due:
                    next_remote = time.monotonic() + self.remote_interval
                swapped = self.slot.follow_remote() if remote_due else self.slot.refresh()
                if swapped and self.on_swap is not None:
                    self.on_swap(self.slot.current)
            except Exception:  # a watcher that dies would silently pin the old model
                logger.exception("nbops serve-model: registry watcher error")

    def stop(self) -> None:
        self._stop_event.set()
