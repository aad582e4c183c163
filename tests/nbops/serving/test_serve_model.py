"""`nbops serve-model` as a real process on a loopback port, driven over HTTP."""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_world import Server, as_served, make_project, promote, start_server

from churn import generator
from nbops.core import spec_from_feature_schema
from nbops.registry import ONNX_TOLERANCE
from nbops.registry._api import get_version, load_model
from nbops.serving._prediction_log import log_dir, read_parts
from nbops.validation._preparation import prepare_for_model

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("serving") / "project")


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    server = start_server(project, "churn@champion", "--flush-seconds", "0.2")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Raw generator rows (as they would arrive), with missing categorical values."""
    frame = generator.generate(60, seed=11).drop(columns=["churn"])
    return frame


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def in_process(project: Path, frame: pd.DataFrame, ref: str = "churn:1",
               served: bool = True) -> np.ndarray:
    """``ref``'s scores of ``frame``: as the service answers (its ONNX form), or ``served``
    False, by the scikit-learn model itself."""
    record = get_version(ref, project)
    spec = spec_from_feature_schema(record["feature_schema"])
    features, problems = prepare_for_model(frame, spec)
    assert not problems
    model = load_model(ref, project)
    return (as_served(model, spec) if served else model).predict_proba(features)[:, 1]


def test_json_csv_and_parquet_bodies_score_like_the_model_in_process(
    project: Path, server: Server, raw: pd.DataFrame
) -> None:
    expected = in_process(project, raw)
    by_sklearn = in_process(project, raw, served=False)
    answers = {
        "json": httpx.post(f"{server.url}/predict", json=records(raw)),
        "csv": httpx.post(f"{server.url}/predict", content=raw.to_csv(index=False).encode(),
                          headers={"content-type": "text/csv"}),
    }
    buffer = io.BytesIO()
    raw.to_parquet(buffer, index=False)
    answers["parquet"] = httpx.post(
        f"{server.url}/predict", content=buffer.getvalue(),
        headers={"content-type": "application/vnd.apache.parquet"})
    # as most files arrive: plain text columns (read as categories by the service), padded
    text = raw.astype({c: object for c in raw.columns if raw[c].dtype == "category"})
    text["contract"] = " " + text["contract"].astype(object) + " "
    buffer = io.BytesIO()
    text.to_parquet(buffer, index=False)
    answers["parquet, text columns"] = httpx.post(
        f"{server.url}/predict", content=buffer.getvalue(),
        headers={"content-type": "application/vnd.apache.parquet"})
    ids = set()
    for kind, answer in answers.items():
        assert answer.status_code == 200, (kind, answer.text)
        body = answer.json()
        assert body["model"] == "churn" and body["version"] == 1
        np.testing.assert_allclose(body["scores"], expected, rtol=0, atol=1e-12, err_msg=kind)
        np.testing.assert_allclose(body["scores"], by_sklearn, rtol=0, atol=ONNX_TOLERANCE)
        assert body["labels"] == [int(s >= 0.5) for s in body["scores"]]
        ids.add(body["request_id"])
    assert len(ids) == 4
    # the log has every request's ids, whatever the body (a Parquet body's unused
    # columns are not read, its id column is)
    import time

    time.sleep(0.6)  # > --flush-seconds
    logged = read_parts(log_dir(project, "churn"))
    for kind, answer in answers.items():
        rows = logged[logged["request_id"] == answer.json()["request_id"]].sort_values("row")
        assert list(rows["customer_id"]) == list(raw["customer_id"]), kind


def test_a_record_alone_gets_exactly_its_score_in_a_batch(
    server: Server, raw: pd.DataFrame
) -> None:
    batch = records(raw)
    categorical = [k for k, v in batch[0].items() if isinstance(v, str)
                   and k not in ("customer_id", "signup_date")]
    for i, record in enumerate(batch[:12]):  # a missing categorical value in several rows
        record[categorical[i % len(categorical)]] = None
    together = httpx.post(f"{server.url}/predict", json=batch).json()["scores"]
    for i, record in enumerate(batch[:12]):
        alone = httpx.post(f"{server.url}/predict", json=record).json()["scores"]
        assert alone == [together[i]], f"record {i} scored alone differs from its batch score"


def _shared_calls(url: str) -> tuple[float, float]:
    """(requests scored, model calls) from the batch histogram on /metrics."""
    values = {}
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("nbops_predict_batch_requests_"):
            name, _, value = line.rpartition(" ")
            values[name.split("{")[0]] = float(value)
    return values["nbops_predict_batch_requests_sum"], values["nbops_predict_batch_requests_count"]


def test_concurrent_requests_share_model_calls_and_each_gets_its_own_scores(
    server: Server, raw: pd.DataFrame
) -> None:
    batch = records(raw)
    alone = [httpx.post(f"{server.url}/predict", json=r).json()["scores"] for r in batch[:16]]
    before = _shared_calls(server.url)
    big = pd.concat([raw] * 150, ignore_index=True)  # 9,000 rows: scored on a worker thread
    buffer = io.BytesIO()
    big.to_parquet(buffer, index=False)
    answers: dict[int, list[float]] = {}
    start = threading.Barrier(17)

    def one(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            start.wait()
            answers[i] = http.post("/predict", json=batch[i]).json()["scores"]

    def long_one() -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            start.wait()
            answer = http.post("/predict", content=buffer.getvalue(),
                               headers={"content-type": "application/vnd.apache.parquet"})
            assert len(answer.json()["scores"]) == len(big)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    threads.append(threading.Thread(target=long_one))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answers[i] for i in range(16)] == alone  # exactly the scores each gets alone
    scored, calls = (a - b for a, b in zip(_shared_calls(server.url), before, strict=True))
    assert scored == 17 and calls < scored  # some requests shared a model call


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b'[{"tenure_months": 3,', "application/json", 400, "not valid JSON"),
        (b"", "application/json", 400, "empty"),
        (b"[]", "application/json", 400, "no records"),
        (b"a,b\n1,2\n", "text/csv", 422, "is missing"),
        (b"\x00\x01", "application/x-foo", 415, "not supported"),
        (b"PAR1garbage", "application/vnd.apache.parquet", 400, "Parquet"),
    ],
)
def test_bad_bodies_get_a_4xx_with_a_sentence(
    server: Server, body: bytes, content_type: str, status: int, words: str
) -> None:
    answer = httpx.post(f"{server.url}/predict", content=body,
                        headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


def test_wrong_type_unknown_and_missing_fields_are_422_naming_the_field(
    server: Server, raw: pd.DataFrame
) -> None:
    record = records(raw)[0]
    numeric = next(k for k, v in record.items() if isinstance(v, (int, float))
                   and not isinstance(v, bool) and k != "churn")
    cases = {
        numeric: {**record, numeric: "lots"},
        "favourite_colour": {**record, "favourite_colour": "blue"},
    }
    missing = dict(record)
    del missing[numeric]
    for field, body in [*cases.items(), (numeric, missing)]:
        answer = httpx.post(f"{server.url}/predict", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
        assert repr(field) in answer.json()["error"]
    # numbers sent as text (the raw CSV format) are fine
    ok = httpx.post(f"{server.url}/predict", json={**record, numeric: f" {record[numeric]} "})
    assert ok.status_code == 200, ok.text


def test_a_10_mb_body_is_refused_and_the_server_stays_up(server: Server) -> None:
    answer = httpx.post(f"{server.url}/predict", content=b"[" + b" " * (10 * 1024 * 1024) + b"]",
                        headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert "limit" in answer.json()["error"]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_metrics_are_prometheus_text(server: Server, raw: pd.DataFrame) -> None:
    httpx.post(f"{server.url}/predict", json=records(raw)[:2])
    text = httpx.get(f"{server.url}/metrics").text
    assert 'nbops_predict_requests_total{status="200"}' in text
    assert "nbops_predict_latency_seconds_bucket" in text
    assert 'nbops_model_version{model="churn"} 1.0' in text
    assert "nbops_predict_errors_total" in text


def test_promotion_under_load_switches_versions_without_failing_a_request_and_sigterm_flushes(
    project: Path, raw: pd.DataFrame
) -> None:
    folder = log_dir(project, "churn")
    before = len(read_parts(folder))
    # a large CSV body (over 64 KB, over a model call's 1,024 rows) is parsed, prepared and
    # scored alone on a worker thread, never through the queue: it must answer with the
    # model it took at its start all the same, with that model's exact scores
    large = generator.generate(1100, seed=5).drop(columns=["churn"])
    large_body = large.to_csv(index=False).encode()
    assert len(large_body) > 64 * 1024
    exact = {v: in_process(project, large, f"churn:{v}") for v in (1, 2)}
    # a long flush interval: only the shutdown can write this server's rows
    server = start_server(project, "churn@champion", "--flush-seconds", "600")
    try:
        batch = records(raw)[:5]
        results: list[tuple[int, int, str]] = []
        large_results: list[tuple[int, int, str]] = []
        large_scores: list[list[float]] = []
        lock = threading.Lock()
        promoted = threading.Event()
        large_sent = threading.Event()
        per_client = 60

        def large_client() -> None:
            with httpx.Client(base_url=server.url, timeout=60,
                              headers={"content-type": "text/csv"}) as http:
                # until it has been answered by version 2: a restarted service whose model
                # was kept imports skops at its first swap (docs/serving.md, start-up), so
                # bound the wait by time, not by a number of requests
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    answer = http.post("/predict", content=large_body)
                    body = answer.json()
                    version = body.get("version", -1)
                    large_results.append((answer.status_code, version, body.get("request_id")))
                    large_scores.append(body.get("scores"))
                    large_sent.set()
                    if answer.status_code != 200 or version == 2:
                        return

        def client(k: int) -> None:
            # per_client requests, then on until one is answered by version 2 (bounded by
            # time: a restarted service imports skops at its first swap)
            deadline = time.monotonic() + 90
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for i in itertools.count():
                    answer = http.post("/predict", json=batch)
                    body = answer.json()
                    with lock:
                        results.append((answer.status_code, body.get("version", -1),
                                        body.get("request_id", "")))
                        if k == 0 and i == per_client // 3:
                            promoted.set()
                    if i + 1 >= per_client and (body.get("version") == 2
                                                or time.monotonic() > deadline):
                        return

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        threads.append(threading.Thread(target=large_client))
        for thread in threads:
            thread.start()
        promoted.wait(60)
        large_sent.wait(60)
        promote(project, 2)
        for thread in threads:
            thread.join(120)
        assert len(results) >= 4 * per_client
        assert all(status == 200 for status, _, _ in large_results), large_results
        assert [v for _, v, _ in large_results][0] == 1
        assert [v for _, v, _ in large_results][-1] == 2
        for (_, version, _), scores in zip(large_results, large_scores, strict=True):
            np.testing.assert_array_equal(scores, exact[version])  # exactly its version's
        assert all(status == 200 for status, _, _ in results), results
        versions = [v for _, v, _ in results]
        assert versions[0] == 1 and versions[-1] == 2
        assert set(versions) == {1, 2}
        health = httpx.get(f"{server.url}/healthz").json()
        assert health["version"] == 2 and health["swaps"] == 1
        expected = in_process(project, raw.iloc[:5], "churn:2")
        last = httpx.post(f"{server.url}/predict", json=batch).json()
        np.testing.assert_allclose(last["scores"], expected, rtol=0, atol=1e-12)
    finally:
        server.stop()
        promote(project, 1)
    # SIGTERM: every answered record is in the log, with the version that scored it
    answered = 5 * len(results) + len(large) * len(large_results) + 5
    assert f"prediction log flushed ({answered} rows)" in server.stderr()
    assert not list(folder.glob(f"*-{server.process.pid}-*.arrows"))
    logged = read_parts(folder)
    assert len(logged) >= before + answered
    ours = {r for _, _, r in results + large_results} | {last["request_id"]}
    assert logged["request_id"].isin(ours).sum() == answered
    mine = logged[logged["request_id"].isin([r for _, _, r in results + large_results])]
    by_request = mine.groupby("request_id")["model_version"].first()
    assert by_request.to_dict() == {r: v for _, v, r in results + large_results}
    for _, version, request_id in large_results:  # the log holds the scores that were sent
        rows = logged[logged["request_id"] == request_id].sort_values("row")
        np.testing.assert_array_equal(rows["score"], exact[version])
        assert list(rows["customer_id"]) == list(large["customer_id"])
    first = logged[logged["request_id"] == last["request_id"]].sort_values("row")
    np.testing.assert_allclose(first["score"], last["scores"])
    assert list(first["customer_id"]) == list(raw["customer_id"].iloc[0:5])


def test_kill_9_loses_at_most_the_rows_of_one_flush_interval(
    project: Path, raw: pd.DataFrame
) -> None:
    import signal
    import time

    folder = log_dir(project, "churn")
    before = len(read_parts(folder))
    server = start_server(project, "churn@champion", "--flush-seconds", "0.2")
    ids = [httpx.post(f"{server.url}/predict", json=records(raw)[i:i + 2]).json()["request_id"]
           for i in range(10)]
    time.sleep(1.0)  # > flush interval: everything answered so far is on disk
    server.stop(signal.SIGKILL)
    left = f"*-{server.process.pid}-*.arrows"
    assert list(folder.glob(left)), "kill -9 should leave the open part behind"
    logged = read_parts(folder)  # finishes the killed server's open part
    assert not list(folder.glob(left))
    assert len(logged) >= before + 20
    assert logged["request_id"].isin(ids).sum() == 20
    assert set(ids) <= set(logged["request_id"])


def _monitor(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> dict:
    from nbops.cli.main import main

    monkeypatch.chdir(project)
    monkeypatch.delenv("NBOPS_PROJECT_ROOT", raising=False)
    capsys.readouterr()
    main(["monitor", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def _send(server: Server, frame: pd.DataFrame, per_request: int = 40) -> tuple[str, str]:
    """Score ``frame`` through the service; return the log window that holds it."""
    import time
    from datetime import UTC, datetime

    start = datetime.now(UTC).isoformat()
    body = records(frame.drop(columns=["churn"]))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(0, len(body), per_request):
            assert http.post("/predict", json=body[i:i + per_request]).status_code == 200
    time.sleep(0.6)  # > --flush-seconds: the rows are in the log
    return start, datetime.now(UTC).isoformat()


@pytest.mark.slow
def test_monitor_log_sees_drift_in_served_traffic_and_feedback_gives_live_auc(
    project: Path, server: Server, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    from nbops.cli.main import main

    steady = generator.generate_month(12, 600, seed=3)
    drift = generator.DriftSpec(13, covariate={"monthly_charges": 1.5, "support_calls": 1.0})
    shifted = generator.generate_month(13, 600, seed=3, drift=drift)
    concept = generator.generate_month(14, 600, seed=3,
                                       drift=generator.DriftSpec(14, concept=1.0))
    windows = [_send(server, frame) for frame in (steady, shifted, concept)]

    before = _monitor(project, monkeypatch, capsys, "--log", "..".join(windows[0]))
    assert before["rows"] == 600 and before["verdict"] == "ok", before["summary"]
    assert before["batch"]["labelled"] == 0 and not (before.get("performance") or {}).get("live")

    after = _monitor(project, monkeypatch, capsys, "--log", "..".join(windows[1]))
    assert after["verdict"] == "alert", after["summary"]
    assert {"monthly_charges", "support_calls"} <= set(after["top_features"])

    labels = pd.concat([steady, concept])[["customer_id", "churn"]]
    labels["churn"] = labels["churn"].map({1: "Yes", 0: "No"})
    labels.to_csv(tmp_path / "outcomes.csv", index=False)
    capsys.readouterr()
    main(["feedback", str(tmp_path / "outcomes.csv"), "--project", str(project)])
    assert "1,200 label(s) for churn stored by customer_id" in capsys.readouterr().out

    labelled = _monitor(project, monkeypatch, capsys, "--log", "..".join(windows[0]))
    live = labelled["performance"]["live"]["roc_auc"]
    assert labelled["batch"]["labelled"] == 600 and live > 0.7, labelled["performance"]
    late = _monitor(project, monkeypatch, capsys, "--log", "..".join(windows[2]))
    assert late["performance"]["live"]["roc_auc"] < live - 0.05
    assert late["verdict"] == "alert", late["summary"]


def test_a_port_in_use_is_one_sentence_before_the_model_loads(
    project: Path, server: Server
) -> None:
    import subprocess
    import sys

    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbops"), "serve-model", "churn@champion",
         "--port", port, "--project", str(project)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
