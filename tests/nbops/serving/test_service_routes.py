"""The scoring service's routes in this process (Starlette's test client, a real scikit-learn
model, a real prediction log): answers, each refusal's status and sentence, what is logged and
counted. The real `nbops serve-model` process is tested in test_hostile_requests.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nbops.core import HostCheck
from nbops.serving._app import INLINE_BYTES, INLINE_ROWS, Service, ServiceConfig, build_app
from nbops.serving._model_slot import LoadedModel
from nbops.serving._prediction_log import PredictionLog, read_parts

PREPARATION = {"spec_version": 1, "strip_text": True, "blank_is_missing": True,
               "numeric": ["x"], "categorical": ["plan"], "order": ["x", "plan"]}
URL = "http://127.0.0.1"


class AppClient:
    """Requests to the app in this process (httpx's ASGI transport), on one event loop."""

    def __init__(self, app: Any, base_url: str = URL) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                        base_url=base_url)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **options))

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self.request("POST", path, **options)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


class Model:
    """A fitted logistic regression on x (plan is ignored), or one that fails."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.inner = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]),
                                              [0, 0, 1, 1])

    def predict_proba(self, frame: Any) -> np.ndarray:
        if self.fail:
            raise ValueError("boom")
        return self.inner.predict_proba(frame[["x"]].to_numpy())


def _model(fail: bool = False, version: int = 3) -> LoadedModel:
    return LoadedModel(name="churn", version=version, model=Model(fail), schema={},
                       preparation=PREPARATION, threshold=0.5,
                       allowed=frozenset({"x", "plan", "customer_id", "note"}),
                       id_columns=("customer_id",))


def _slot(model: LoadedModel, error: str | None = None) -> Any:
    return SimpleNamespace(current=model, last_error=error, ref="churn@champion", swaps=2,
                           remote_polls=0, remote_changes=0, remote_errors=0)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[PredictionLog]:
    log = PredictionLog(tmp_path / "log", flush_seconds=0.05)
    yield log
    log.close()


OPEN: list[AppClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def _client(model: LoadedModel | None = None, log: PredictionLog | None = None,
            max_body: int = 10_000_000, error: str | None = None) -> tuple[AppClient, Service]:
    config = ServiceConfig(max_body=max_body, hosts=HostCheck("127.0.0.1"))
    service = Service(_slot(model or _model(), error), log, config)
    client = AppClient(build_app(service), base_url=URL)
    OPEN.append(client)
    return client, service


def _expected(xs: list[float]) -> list[float]:
    return Model().inner.predict_proba(np.array(xs, dtype=float).reshape(-1, 1))[:, 1].tolist()


def test_an_answer_names_the_request_the_version_and_each_records_score_and_label(
    log: PredictionLog
) -> None:
    client, _ = _client(log=log)
    answer = client.post("/predict", content=json.dumps(
        [{"x": 0, "plan": "a", "customer_id": 7}, {"x": 3, "plan": None, "customer_id": None}]),
        headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert list(data) == ["request_id", "model", "version", "scores", "labels"]
    assert (data["model"], data["version"]) == ("churn", 3)
    assert data["scores"] == _expected([0, 3]) and data["labels"] == [0, 1]
    log.close()
    logged = read_parts(log.folder)
    assert logged["request_id"].tolist() == [data["request_id"]] * 2
    assert logged["row"].tolist() == [0, 1]
    assert logged["model"].tolist() == ["churn", "churn"]
    assert logged["model_version"].tolist() == [3, 3]
    assert logged["score"].tolist() == data["scores"] and logged["label"].tolist() == [0, 1]
    assert logged["x"].tolist() == [0.0, 3.0] and logged["plan"].tolist()[0] == "a"
    assert logged["customer_id"].tolist()[0] == "7"  # ids as text, missing as null
    assert logged["customer_id"].isna().tolist() == [False, True]
    assert "note" not in logged.columns


def test_a_request_without_the_id_column_logs_it_as_missing(log: PredictionLog) -> None:
    client, _ = _client(log=log)
    assert client.post("/predict", json=[{"x": 1, "plan": "a"}]).status_code == 200
    log.close()
    assert read_parts(log.folder)["customer_id"].isna().tolist() == [True]


@pytest.mark.parametrize("rows", [INLINE_ROWS, INLINE_ROWS + 1, 3000])
def test_large_requests_get_the_same_scores_as_small_ones(rows: int) -> None:
    client, _ = _client()
    xs = [i % 4 for i in range(rows)]
    body = json.dumps([{"x": x, "plan": "p" * 40, "note": "n" * 40} for x in xs])
    assert (len(body) > INLINE_BYTES) == (rows == 3000)
    data = client.post("/predict", content=body,
                       headers={"content-type": "application/json"}).json()
    assert data["scores"] == _expected(xs)
    assert data["labels"] == [int(s >= 0.5) for s in data["scores"]]


def test_a_field_that_does_not_fit_is_422_naming_it_and_the_models_inputs() -> None:
    client, _ = _client()
    answer = client.post("/predict", json=[{"x": "ten", "plan": "a"}])
    assert answer.status_code == 422
    data = answer.json()
    assert data["error"] == ("field 'x' must be a number (or null), got 'ten'; the model's "
                             "inputs are: x, plan")
    assert (data["field"], data["version"]) == ("x", 3) and data["request_id"]
    several = client.post("/predict", json=[{"x": "ten", "plan": {"a": 1}}]).json()
    assert several["error"].startswith(
        "field 'x' must be a number (or null), got 'ten' (1 more problem(s)); the model's")
    unknown = client.post("/predict", json=[{"x": 1, "plan": "a", "colour": "red"}]).json()
    assert unknown["field"] == "colour"


def test_a_body_over_the_limit_is_413_whether_its_length_is_declared_or_not() -> None:
    client, service = _client(max_body=1000)
    body = json.dumps([{"x": 1, "plan": "a"}] * 60).encode()
    assert len(body) > 1000
    declared = client.post("/predict", content=body,
                           headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"] == (
        f"the body is {len(body):,} bytes, over this service's limit of 1,000; split it into "
        "smaller requests (or start the service with a larger --max-body-mb)")

    async def chunks() -> AsyncIterator[bytes]:
        yield body[:600]
        yield body[600:]

    streamed = client.post("/predict", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json()["error"] == (
        "the body is over this service's limit of 1,000 bytes; split it into smaller requests "
        "(or start the service with a larger --max-body-mb)")
    exact = json.dumps([{"x": 1, "plan": "a"}]).encode().ljust(1000)
    assert client.post("/predict", content=exact,
                       headers={"content-type": "application/json"}).status_code == 200
    metrics = client.get("/metrics").text
    assert 'nbops_predict_errors_total{reason="too_large"} 2.0' in metrics
    assert 'nbops_predict_requests_total{status="413"} 2.0' in metrics


def test_a_model_that_fails_is_500_with_its_error_and_the_service_goes_on() -> None:
    client, _ = _client(_model(fail=True))
    answer = client.post("/predict", json=[{"x": 1, "plan": "a"}])
    assert answer.status_code == 500
    assert answer.json() == {"error": "the model could not score this request (ValueError: "
                                      "boom)", "field": None,
                             "request_id": answer.json()["request_id"], "version": 3}
    assert client.get("/healthz").status_code == 200
    assert 'nbops_predict_errors_total{reason="server_error"} 1.0' in client.get("/metrics").text


def test_requests_rows_and_refusals_are_counted() -> None:
    client, _ = _client()
    client.post("/predict", json=[{"x": 1, "plan": "a"}, {"x": 2, "plan": "b"}])
    client.post("/predict", json=[{"x": "bad", "plan": "a"}])
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert "nbops_predict_rows_total 2.0" in text
    assert 'nbops_predict_requests_total{status="200"} 1.0' in text
    assert 'nbops_predict_requests_total{status="422"} 1.0' in text
    assert 'nbops_predict_errors_total{reason="bad_request"} 1.0' in text
    assert 'nbops_model_version{model="churn"} 3.0' in text
    assert "nbops_predict_latency_seconds_count 2.0" in text


def test_healthz_says_ok_or_degraded_with_the_reason(log: PredictionLog) -> None:
    client, _ = _client()
    assert client.get("/healthz").json() == {
        "status": "ok", "model": "churn", "version": 3, "ref": "churn@champion", "swaps": 2,
        "scorer": "sklearn", "scorer_version": "", "last_error": None, "logging": False}
    degraded, _ = _client(error="version 4 cannot be loaded", log=log)
    data = degraded.get("/healthz").json()
    assert (data["status"], data["last_error"], data["logging"]) == (
        "degraded", "version 4 cannot be loaded", True)


def test_a_swap_is_counted_and_the_new_version_shown() -> None:
    client, service = _client()
    service._swapped(_model(version=4))
    text = client.get("/metrics").text
    assert 'nbops_model_version{model="churn"} 4.0' in text
    assert "nbops_model_swaps_total 1.0" in text


def test_a_host_that_does_not_name_this_server_is_421() -> None:
    client, _ = _client()
    refused = client.get("/healthz", headers={"host": "evil.example"})
    assert refused.status_code == 421
    assert refused.json() == {"error": HostCheck("127.0.0.1").refusal("evil.example"),
                              "field": None, "request_id": None}
    assert client.get("/healthz", headers={"host": "localhost:8000"}).status_code == 200


def test_only_predict_takes_a_post() -> None:
    client, _ = _client()
    assert client.get("/predict").status_code == 405
    assert client.post("/healthz").status_code == 405


def test_the_lifespan_starts_the_watcher_then_flushes_the_log_at_shutdown(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log", flush_seconds=60)
    service = Service(_slot(_model()), log, ServiceConfig(hosts=HostCheck("127.0.0.1")))
    events: list[str] = []
    service.watcher = SimpleNamespace(start=lambda: events.append("watching"),  # type: ignore
                                      stop=lambda: events.append("stopped"))
    app = build_app(service, on_ready=lambda: events.append("ready"))
    client = AppClient(app)
    OPEN.append(client)

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            assert events == ["watching", "ready"]
            await client.client.post("/predict", json=[{"x": 1, "plan": "a"}])
            assert read_parts(log.folder).empty  # not flushed yet
        assert events == ["watching", "ready", "stopped"]

    client.loop.run_until_complete(serve())
    assert len(read_parts(log.folder)) == 1  # flushed at shutdown, before flush_seconds


def test_refusals_are_json_too() -> None:
    client, _ = _client()
    refused = client.post("/predict", json=[{"x": "bad", "plan": "a"}])
    assert refused.headers["content-type"] == "application/json"
    assert client.get("/healthz").headers["content-type"] == "application/json"


def test_each_model_call_records_how_many_requests_it_served() -> None:
    client, _ = _client()
    client.post("/predict", json=[{"x": 1, "plan": "a"}])
    assert "nbops_predict_batch_requests_count 1.0" in client.get("/metrics").text


def test_rows_are_logged_at_the_utc_time_they_were_scored(
    log: PredictionLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from datetime import UTC, datetime

    client, _ = _client(log=log)
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # a local clock 9 hours off UTC
    time.tzset()
    try:
        before = datetime.now(UTC)
        client.post("/predict", json=[{"x": 1, "plan": "a"}])
        after = datetime.now(UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    log.close()
    logged_at = read_parts(log.folder)["logged_at"].iloc[0].to_pydatetime()
    assert before <= logged_at <= after


@pytest.mark.parametrize("rows", [2, 3000])
def test_a_csv_body_reads_category_columns_as_text(log: PredictionLog, rows: int) -> None:
    client, _ = _client(log=log)
    body = "x,plan,note\n" + "".join(f"{i % 4},01,{'n' * 30}\n" for i in range(rows))
    assert (len(body) > INLINE_BYTES) == (rows == 3000)
    answer = client.post("/predict", content=body, headers={"content-type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scores"] == _expected([i % 4 for i in range(rows)])
    log.close()
    assert set(read_parts(log.folder)["plan"]) == {"01"}  # not the number 1


def test_a_model_without_categories_logs_its_numbers(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log", flush_seconds=0.05)
    model = _model()
    plain = LoadedModel(name="churn", version=3, model=model.model, schema={},
                        preparation={"numeric": ["x"], "order": ["x"]},
                        allowed=frozenset({"x"}))
    client, _ = _client(plain, log=log)
    assert client.post("/predict", json=[{"x": 2}]).status_code == 200
    log.close()
    assert read_parts(log.folder)["x"].tolist() == [2.0]


@pytest.mark.parametrize("rows", [2, 3000])
def test_a_parquet_body_is_scored_like_json(rows: int) -> None:
    import io

    import pandas as pd

    client, _ = _client()
    xs = [float(i % 4) for i in range(rows)]
    buffer = io.BytesIO()
    pd.DataFrame({"x": xs, "plan": ["a"] * rows, "note": ["n" * 40] * rows}).to_parquet(
        buffer, index=False)
    answer = client.post("/predict", content=buffer.getvalue(),
                         headers={"content-type": "application/octet-stream"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scores"] == _expected(xs)


class ByPlan:
    """A model that reads only the category: 0.9 for plan "a", else 0.1."""

    def predict_proba(self, frame: Any) -> np.ndarray:
        high = (frame["plan"] == "a").to_numpy()
        p = np.where(high, 0.9, 0.1)
        return np.column_stack([1 - p, p])


def test_a_model_without_numbers_logs_its_categories(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "log", flush_seconds=0.05)
    plain = LoadedModel(name="churn", version=3, model=ByPlan(), schema={},
                        preparation={"categorical": ["plan"], "order": ["plan"]},
                        allowed=frozenset({"plan"}))
    client, _ = _client(plain, log=log)
    answer = client.post("/predict", json=[{"plan": "a"}, {"plan": "b"}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["scores"] == [0.9, 0.1]
    log.close()
    assert read_parts(log.folder)["plan"].tolist() == ["a", "b"]


def test_the_watcher_checks_the_model_at_the_configured_interval() -> None:
    config = ServiceConfig(watch_interval=1.75, remote_interval=30.0)
    service = Service(_slot(_model()), None, config)
    assert (service.watcher.interval, service.watcher.remote_interval) == (1.75, 30.0)


def test_a_large_parquet_body_is_scored_on_a_worker_like_json(log: PredictionLog) -> None:
    import io
    import secrets

    import pandas as pd

    client, _ = _client(log=log)
    rows = 3000
    xs = [float(i % 4) for i in range(rows)]
    buffer = io.BytesIO()
    pd.DataFrame({"x": xs, "plan": ["a", "b"] * (rows // 2),
                  "note": [secrets.token_hex(16) for _ in range(rows)]}).to_parquet(
        buffer, index=False)
    assert len(buffer.getvalue()) > INLINE_BYTES  # parsed off the event loop
    answer = client.post("/predict", content=buffer.getvalue(),
                         headers={"content-type": "application/octet-stream"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scores"] == _expected(xs)
    log.close()
    assert read_parts(log.folder)["plan"].tolist() == ["a", "b"] * (rows // 2)
