"""The scoring service: a Starlette app with ``/predict``, ``/healthz`` and ``/metrics``.

Every answer names the version that produced it; a request takes the slot's
model once, at its start, so an alias move during the request cannot mix two
versions. Requests waiting at the same time share one model call
(:mod:`nbops.serving._batching`); each still gets exactly its own scores.
Refusals are JSON ``{"error": sentence, "field": name|null, "request_id": id}``
with a 4xx status; the server keeps serving.  Only requests whose ``Host``
names this machine are answered (421 otherwise: DNS rebinding), and only
bodies under a type a web page cannot send cross-site are read (415).

A large body (over ``INLINE_BYTES``) is parsed, prepared and, when it alone
fills a model call, scored in one trip to a worker thread, so the event loop
keeps answering small requests and the request pays one thread hand-off, not
three.  Scores are written into the answer by Arrow's float formatting (the
shortest text that reads back as the same float, as Python's ``repr``), which
costs a tenth of ``json.dumps`` on a list of 10,000 floats.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nbops.core import HostCheck
from nbops.serving import _request_body as request_body
from nbops.serving._batching import Batcher
from nbops.serving._metrics import ServiceMetrics
from nbops.serving._model_slot import LoadedModel, ModelSlot, Watcher
from nbops.serving._prediction_log import PredictionLog, log_schema, new_request_id
from nbops.serving._request_body import BadRequest, RawBatch
from nbops.validation import prepare_for_model

logger = logging.getLogger("nbops")

DEFAULT_MAX_BODY = 8 * 1024 * 1024
# Larger requests score on a worker thread so /healthz and small requests stay answered.
INLINE_ROWS = 256
# Larger bodies are parsed (and prepared, and scored when they fill a call) on a worker thread.
INLINE_BYTES = 64 * 1024
# From this many values on, scores are written by Arrow (below, by Python's json).
ARROW_TEXT_MIN = 256


@dataclass
class ServiceConfig:
    """What ``nbops serve-model`` was asked for."""

    max_body: int = DEFAULT_MAX_BODY
    watch_interval: float = 0.25
    hosts: HostCheck = field(default_factory=lambda: HostCheck("127.0.0.1"))
    remote_interval: float = 0.0  # seconds between reads of the team remote's registry


def _json(data: Mapping[str, object], status: int = 200) -> Response:
    return Response(json.dumps(data, allow_nan=False), status_code=status,
                    media_type="application/json")


def json_numbers(values: np.ndarray) -> bytes:
    """``values`` as a JSON array, each number the text that reads back as exactly it.

    Arrow's cast to text is the shortest round-trip form, as Python's ``repr``
    (``1e-7`` where Python writes ``1e-07``: the same float).  Python's
    encoder is used when a value would come out wrong: not finite (refused, as
    ``json.dumps(allow_nan=False)`` refuses it) or a whole float (Arrow writes
    ``1.0`` as ``1``, which a JSON reader would take for an integer), and for
    a few values, where Arrow's fixed cost (~40 µs) is more than Python's.
    """
    if len(values) < ARROW_TEXT_MIN or values.dtype.kind == "f" and (
            not np.isfinite(values).all() or (values == np.trunc(values)).any()):
        return json.dumps(values.tolist(), allow_nan=False).encode()
    text = pc.cast(pa.array(values), pa.string())
    rows = pa.ListArray.from_arrays(pa.array([0, len(text)], pa.int32()), text)
    joined = pc.binary_join(rows, ",")[0].as_py() or ""
    return b"[" + joined.encode() + b"]"


def _answer(request_id: str, model: LoadedModel, scores: np.ndarray,
            labels: np.ndarray) -> Response:
    head = json.dumps({"request_id": request_id, "model": model.name,
                       "version": model.version})
    body = b"".join((head[:-1].encode(), b', "scores": ', json_numbers(scores),
                     b', "labels": ', json_numbers(labels), b"}"))
    return Response(body, media_type="application/json")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, f"the body is {int(declared):,} bytes, over this service's "
                              f"limit of {limit:,}; split it into smaller requests "
                              "(or start the service with a larger --max-body-mb)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, f"the body is over this service's limit of {limit:,} bytes; "
                                  "split it into smaller requests (or start the service "
                                  "with a larger --max-body-mb)")
        chunks.append(chunk)
    return b"".join(chunks)


class Service:
    """State shared by the routes: the model slot, metrics and the prediction log."""

    def __init__(self, slot: ModelSlot, log: PredictionLog | None,
                 config: ServiceConfig | None = None) -> None:
        self.slot = slot
        self.log = log
        self.config = config or ServiceConfig()
        self.metrics = ServiceMetrics()
        current = slot.current
        self.metrics.answering(current.name, current.version, current.scorer,
                               current.scorer_version)
        self._schemas: dict[int, pa.Schema] = {}
        self._unused_columns: dict[int, frozenset[str]] = {}
        self.watcher = Watcher(slot, self.config.watch_interval, on_swap=self._swapped,
                               remote_interval=self.config.remote_interval)
        self.metrics.remote_polls.set_function(lambda: slot.remote_polls)
        self.metrics.remote_changes.set_function(lambda: slot.remote_changes)
        self.metrics.remote_errors.set_function(lambda: slot.remote_errors)
        self.batcher = Batcher(INLINE_ROWS, on_batch=self._batched)

    def _swapped(self, model: LoadedModel) -> None:
        self.metrics.answering(model.name, model.version, model.scorer, model.scorer_version)
        self.metrics.swaps.inc()

    def _unused(self, model: LoadedModel) -> frozenset[str]:
        """Columns a request may carry that neither the model nor the log reads."""
        unused = self._unused_columns.get(model.version)
        if unused is None:
            used = set(model.preparation.get("numeric", ())) | set(model.categorical)
            if self.log is not None:
                used |= set(model.id_columns)
            unused = self._unused_columns[model.version] = model.allowed - used
        return unused

    def _log_schema(self, model: LoadedModel) -> pa.Schema:
        schema = self._schemas.get(model.version)
        if schema is None:
            numeric = list(model.preparation.get("numeric", ()))
            text = list(model.preparation.get("categorical", ()))
            text += [c for c in model.id_columns if c not in text and c not in numeric]
            schema = self._schemas[model.version] = log_schema(numeric, text)
        return schema

    def _log(self, model: LoadedModel, request_id: str, raw: RawBatch,
             features: pd.DataFrame, scores: np.ndarray, labels: np.ndarray) -> None:
        assert self.log is not None
        n = len(features)
        at = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
        ids = {c: raw[c] if c in raw.columns else np.full(n, None)  # converted by the writer
               for c in model.id_columns}

        def build() -> dict[str, np.ndarray]:  # called by the log's writer thread
            data: dict[str, np.ndarray] = {
                "request_id": np.full(n, request_id, dtype=object),
                "row": np.arange(n, dtype=np.int32),
                "logged_at": np.full(n, at, dtype="datetime64[us]"),  # UTC
                "model": np.full(n, model.name, dtype=object),
                "model_version": np.full(n, model.version, dtype=np.int32),
                "score": scores, "label": labels.astype(np.int8),
            }
            for name in features.columns:
                data[name] = features[name].to_numpy()
            for name, column in ids.items():
                values = np.asarray(column, dtype=object)
                text = values.astype(str).astype(object)
                text[pd.isna(values)] = None
                data[name] = text
            return data

        self.log.append(build, self._log_schema(model), rows=n)

    @staticmethod
    def prepare(model: LoadedModel, raw: RawBatch) -> pd.DataFrame:
        """The model's input frame for ``raw``. Raises BadRequest (422) naming a bad field."""
        features, problems = prepare_for_model(raw, model.preparation, model.allowed)
        if problems:
            first = problems[0]
            more = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise BadRequest(422, f"{first.message}{more}; the model's inputs are: "
                                  f"{', '.join(model.preparation.get('order', []))}",
                             first.field)
        return features

    def _prepare_off_loop(self, model: LoadedModel, raw: RawBatch | bytes,
                          content_type: str | None
                          ) -> tuple[RawBatch, pd.DataFrame, np.ndarray | None]:
        """Parse (a body) and prepare a large request; score it if it alone fills a call.

        Runs on a worker thread: the one hand-off a large request pays.
        Raises BadRequest (4xx) on a bad body or field.
        """
        if isinstance(raw, bytes):
            raw = request_body.parse(raw, content_type, model.categorical,
                                      self._unused(model))
        features = self.prepare(model, raw)
        scores = None
        if self.batcher.fills_a_call(len(features)):
            scores = self.batcher.score_alone(model, features)
        return raw, features, scores

    async def score(self, model: LoadedModel, body: bytes, content_type: str | None,
                    request_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Parse, prepare, check and score a body (sharing a model call with requests
        waiting at the same time); log it. Raises BadRequest (4xx) on a bad body or field."""
        scores: np.ndarray | None = None
        if len(body) > INLINE_BYTES:
            raw, features, scores = await run_in_threadpool(
                self._prepare_off_loop, model, body, content_type)
        else:
            raw = request_body.parse(body, content_type, model.categorical, self._unused(model))
            if len(raw) <= INLINE_ROWS:
                features = self.prepare(model, raw)
            else:
                raw, features, scores = await run_in_threadpool(
                    self._prepare_off_loop, model, raw, content_type)
        if scores is None:
            scores = await self.batcher.score(model, features)
        labels = (scores >= model.threshold).astype(np.int8)
        if self.log is not None:
            self._log(model, request_id, raw, features, scores, labels)
        return scores, labels

    def _batched(self, requests: int, rows: int) -> None:
        self.metrics.batch_requests.observe(requests)

    async def predict(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = new_request_id()
        model = self.slot.current  # this request's model, whatever happens meanwhile
        status = 200
        try:
            body = await _read_body(request, self.config.max_body)
            scores, labels = await self.score(model, body, request.headers.get("content-type"),
                                              request_id)
            self.metrics.rows.inc(len(scores))
            return _answer(request_id, model, scores, labels)
        except BadRequest as exc:
            status = exc.status
            self.metrics.errors.labels("bad_request" if status != 413 else "too_large").inc()
            return _json({"error": exc.message, "field": exc.field, "request_id": request_id,
                          "version": model.version}, status)
        except Exception as exc:  # a bug or a model failure: answer 500, keep serving
            status = 500
            self.metrics.errors.labels("server_error").inc()
            logger.exception("nbops serve-model: request %s failed", request_id)
            return _json({"error": f"the model could not score this request "
                                   f"({type(exc).__name__}: {exc})",
                          "field": None, "request_id": request_id,
                          "version": model.version}, status)
        finally:
            self.metrics.requests.labels(str(status)).inc()
            self.metrics.latency.observe(time.perf_counter() - started)

    async def healthz(self, request: Request) -> Response:
        """``status`` is ``degraded`` while the alias points to a version this service
        could not load (``last_error`` says why; the old version keeps answering)."""
        model = self.slot.current
        status = "ok" if self.slot.last_error is None else "degraded"
        return _json({"status": status, "model": model.name, "version": model.version,
                      "ref": str(self.slot.ref), "swaps": self.slot.swaps,
                      "scorer": model.scorer, "scorer_version": model.scorer_version,
                      "last_error": self.slot.last_error,
                      "logging": self.log is not None})

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=self.metrics.content_type)

    def close(self) -> None:
        """Stop watching the registry and flush the prediction log."""
        self.watcher.stop()
        if self.log is not None:
            self.log.close()
            logger.info("nbops serve-model: prediction log flushed (%d rows)",
                        self.log.rows_written)


class HostGuard:
    """ASGI middleware answering 421 to a request whose ``Host`` does not name this server."""

    def __init__(self, app: ASGIApp, hosts: HostCheck) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((value.decode("latin-1") for name, value in scope["headers"]
                         if name == b"host"), None)
            if not self.hosts.accepts(host):
                refused = _json({"error": self.hosts.refusal(host), "field": None,
                                 "request_id": None}, 421)
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(service: Service, on_ready: Callable[[], None] | None = None) -> Starlette:
    """The ASGI app; the lifespan starts the watcher and flushes the log at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.watcher.start()
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            service.close()

    return Starlette(
        routes=[
            Route("/predict", service.predict, methods=["POST"]),
            Route("/healthz", service.healthz, methods=["GET"]),
            Route("/metrics", service.prometheus, methods=["GET"]),
        ],
        lifespan=lifespan,
        middleware=[Middleware(HostGuard, hosts=service.config.hosts)],
    )
