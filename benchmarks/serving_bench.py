"""`nbops serve-model` against the in-process floor: latency, concurrency, batch, start-up, log.

The floor is the registered model's own ``predict_proba`` called in this
process on the same rows (already a DataFrame).  The model is the reference
kind: preprocessing ColumnTransformer + HistGradientBoosting (100 trees) on
the embedded generator's 13 features, registered in a scratch project.

* ``serving.single_p50`` / ``single_p99``: one JSON record per request, one
  keep-alive client, vs the floor's one-row call (targets ≤ 1.5× / ≤ 2×);
* ``serving.concurrent4``: 4 client threads of single-record requests, rate vs
  the floor's single-thread rate (target ≥ 0.8×);
* ``serving.parquet_10k``: one 10,000-row raw Parquet request, rows/s vs the
  floor's rows/s on the same frame (best of 20 each, alternated; target ≥ 0.8×;
  the ratio of the medians is reported too);
* ``serving.ready``: launch of ``nbops serve-model`` to the first ``/healthz``
  answer (target ≤ 2 s);
* ``serving.log_cost``: single-record throughput with the prediction log on vs
  off, two services up at once and short bursts alternating between them, the
  median of the rounds' ratios (target ≤ 10 % slower).

* ``serving.first_answer_cpu``: CPU seconds (user + system) of the whole
  ``nbops serve-model`` process tree from launch to its first answered
  ``POST /predict`` (one raw JSON record), the median over launches (goal ≤ 1 s).
  CPU time, not wall time, so that load from other work does not hide it.

Run: ``python -m benchmarks.serving_bench``; the start-up figure alone:
``python -m benchmarks.serving_bench --startup-only [N] [--project DIR]`` (N launches,
default 7; DIR a project with a registered ``churn@champion``, default a scratch one),
and ``--floor`` to measure, alternating with the launches, a plain Python process that
only unpickles the model and scores one row (the least any process answering with it
costs; ``floor_cpu_s``, ``ratio_to_floor``).
"""

from __future__ import annotations

import io
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
ready_cpu: list[float] = []  # CPU seconds each started service used until ready


def _project(root: Path, rows: int) -> None:
    """A scratch project with churn:1 (the reference model kind) as champion."""
    from churn import data, features, generator, models
    from nbops.core import hash_bytes
    from nbops.registry import (
        DEFAULT_TRUSTED_TYPES,
        Actor,
        inspect_types,
        promote,
        register_version,
        store_of,
    )

    (root / "pipeline.yaml").write_text("tasks: []\n")
    extra = ["churn.features._as_float", "churn.features._as_text"]  # the model's converters
    trusted = [*DEFAULT_TRUSTED_TYPES, *extra]
    (root / "env.yaml").write_text(f"registry:\n  trusted_types: {json.dumps(extra)}\n")
    clean, _ = data.clean(generator.generate(rows, seed=7), "churn")
    roles, _ = data.infer_roles(clean, "churn")
    parts = features.split(clean, "churn", roles.date_column, 0.25, 42)
    schema = features.feature_schema(parts.train, roles).to_dict()
    model = models.make_model(roles.numeric, roles.categorical, seed=42)
    model.fit(parts.train[roles.features], parts.train["churn"])
    models.save(model, root / "model.skops")
    parts.train.to_parquet(root / "train.parquet", index=False)
    store = store_of(root)

    def stored(name: str) -> dict[str, Any]:
        put = store.put_file(root / name)
        return {"hash": put.digest, "size": put.size}

    record = {"run_id": None, "artifact": {**stored("model.skops"), "format": "skops",
                                          "trusted_types": inspect_types(
                                              root / "model.skops", trusted)},
              "metrics": {}, "training_data": stored("train.parquet"), "test_data": None,
              "feature_schema": schema,
              "feature_schema_hash": hash_bytes(json.dumps(schema).encode())}
    register_version(root, "churn", record)
    promote(root, "churn", 1, reason="bench", actor=Actor())


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``, its reaped children and its live descendants (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: the process and the children it has waited for
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        todo.extend(children.get(current, ()))
    return total


def _one_record() -> bytes:
    """One raw record as a client sends it (the reference generator's format)."""
    from churn import generator

    raw = generator.generate_month(12, 1, seed=7).drop(columns=["churn"])
    return raw.to_json(orient="records", date_format="iso").encode()


def first_answer_cpu(root: Path, body: bytes, env: dict[str, str]) -> tuple[float, float]:
    """Launch ``nbops serve-model``, send ``body`` to ``/predict`` as soon as it listens.

    Returns the CPU seconds of the server's process tree and the wall seconds from
    launch to the first answered prediction (the client's polling is not counted:
    it runs in this process). ``env`` is added to this process's environment.
    """
    import httpx

    port = _port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "nbops"), "serve-model", "churn@champion", "--port", str(port),
         "--project", str(root), "--no-log"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PLOOMBER_STATS_ENABLED": "false", **env},
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120,
                          headers={"content-type": "application/json"}) as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"nbops serve-model exited {process.returncode}")
                try:
                    answer = http.post("/predict", content=body)
                except httpx.TransportError:
                    time.sleep(0.01)
                    if time.perf_counter() - started > 120:
                        raise RuntimeError("nbops serve-model did not answer in 120 s") from None
                    continue
                assert answer.status_code == 200, answer.text
                return _tree_cpu_seconds(process.pid), time.perf_counter() - started
    finally:
        _stop(process)


#: What any Python process needs at the least to answer with the model: unpickle it
#: (importing what it is made of: scikit-learn, numpy, scipy, the project's converters),
#: read one row of its training data and score it. No skops, no checks, no HTTP.
_FLOOR = """
import pickle, sys
model = pickle.loads(open(sys.argv[1], "rb").read())
import pyarrow.parquet as pq
frame = pq.ParquetFile(sys.argv[2]).read_row_group(0).slice(0, 1).to_pandas()
model.predict_proba(frame[list(model.feature_names_in_)])
"""


def floor_cpu(root: Path, pickled: Path) -> float:
    """CPU seconds of a plain Python process that loads the champion and scores one row."""
    from nbops.registry import get_version, load_model, store_of

    record = get_version("churn@champion", root)
    if not pickled.exists():
        import pickle

        pickled.write_bytes(pickle.dumps(load_model("churn@champion", root)))
    train = store_of(root).path_for(record["training_data"]["hash"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", _FLOOR, str(pickled), str(train)], check=True,
                   env={**os.environ, "OMP_NUM_THREADS": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(root: Path | None, launches: int, floor: bool = False) -> list[dict[str, Any]]:
    """The first-answer figures over ``launches`` launches (a scratch project if no root).

    ``restart``: a start on a machine that loaded the same model before (its verified
    copy kept, docs/serving.md); ``first start``: nothing kept (``NBOPS_MODEL_CACHE=""``).
    The two alternate, so load from other work hits both alike.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if root is None:
            root = Path(tmp) / "project"
            root.mkdir()
            _project(root, 6000)
        kept = {"NBOPS_MODEL_CACHE": str(Path(tmp) / "cache"),
                "XDG_CONFIG_HOME": str(Path(tmp) / "config")}
        variants = {"restart": kept, "first start": {"NBOPS_MODEL_CACHE": ""}}
        body = _one_record()
        first_answer_cpu(root, body, kept)  # warms the page cache, keeps the model; not counted
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        wall: dict[str, list[float]] = {name: [] for name in variants}
        floors: list[float] = []
        for _ in range(launches):
            for name, env in variants.items():
                seconds, elapsed = first_answer_cpu(root, body, env)
                cpu[name].append(seconds)
                wall[name].append(elapsed)
            if floor:
                floors.append(floor_cpu(root, Path(tmp) / "model.pickle"))
    rows = []
    for name in variants:
        median = statistics.median(cpu[name])
        row = {"name": f"serving.first_answer_cpu.{name.replace(' ', '_')}",
               "what": f"{name}: launch to first answered /predict, CPU s of the process "
                       f"tree (median of {launches})",
               "seconds": round(median, 3), "min_s": round(min(cpu[name]), 3),
               "max_s": round(max(cpu[name]), 3),
               "wall_s": round(statistics.median(wall[name]), 3),
               "target_seconds": 1.0, "ratio_to_target": round(median, 3)}
        if floors:
            row["floor_cpu_s"] = round(statistics.median(floors), 3)
            row["ratio_to_floor"] = round(median / statistics.median(floors), 3)
        rows.append(row)
    return rows


def _start(root: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str, float]:
    import httpx

    port = _port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "nbops"), "serve-model", "churn@champion", "--port", str(port),
         "--project", str(root), *extra],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PLOOMBER_STATS_ENABLED": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"nbops serve-model exited {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                ready = time.perf_counter() - started
                ready_cpu.append(_cpu_seconds(process.pid))
                return process, url, ready
        except httpx.HTTPError:
            time.sleep(0.01)
        if time.perf_counter() - started > 120:
            process.kill()
            raise RuntimeError("nbops serve-model did not become ready in 120 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _single_latencies(url: str, bodies: list[bytes], n: int) -> list[float]:
    import httpx

    out = []
    with httpx.Client(base_url=url, timeout=30,
                      headers={"content-type": "application/json"}) as http:
        for i in range(n):
            started = time.perf_counter()
            answer = http.post("/predict", content=bodies[i % len(bodies)])
            out.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
    return out


def _concurrent_rate(url: str, bodies: list[bytes], per_client: int, clients: int = 4) -> float:
    import httpx

    def work(k: int) -> None:
        with httpx.Client(base_url=url, timeout=60,
                          headers={"content-type": "application/json"}) as http:
            for i in range(per_client):
                assert http.post("/predict", content=bodies[(i + k) % len(bodies)]
                                 ).status_code == 200

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - started)


def run(full: bool = True) -> list[dict[str, Any]]:
    """Measure and return one row per figure."""
    import httpx
    import pandas as pd

    from churn import generator
    from nbops.core import of_version
    from nbops.registry import get_version, load_model
    from nbops.serving import limit_threads
    from nbops.validation import prepare_for_model

    limit_threads(1)  # the floor gets the same single-threaded pools as the service
    n_single = 400 if full else 120
    per_client = 150 if full else 50
    n_batch = 20 if full else 4
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root, 6000)
        record = get_version("churn@champion", root)
        model = load_model("churn@champion", root)
        raw = generator.generate_month(12, 10_000, seed=7).drop(columns=["churn"])
        prepared, problems = prepare_for_model(raw, of_version(record))
        assert not problems
        singles = [prepared.iloc[[i]] for i in range(200)]
        bodies = [json.dumps(r).encode() for r in json.loads(
            raw.iloc[:200].to_json(orient="records", date_format="iso"))]

        # the floor, in this process
        for frame in singles[:20]:
            model.predict_proba(frame)
        floor_single = []
        for i in range(n_single):
            started = time.perf_counter()
            model.predict_proba(singles[i % len(singles)])
            floor_single.append(time.perf_counter() - started)
        model.predict_proba(prepared)  # warm-up
        buffer = io.BytesIO()
        raw.to_parquet(buffer, index=False)
        parquet = buffer.getvalue()

        readies = []
        process, url, ready = _start(root, "--no-log")
        readies.append(ready)
        try:
            _single_latencies(url, bodies, 50)  # warm-up
            served_single = _single_latencies(url, bodies, n_single)
            rate4 = _concurrent_rate(url, bodies, per_client)
            batch_s, floor_batch_s = [], []
            # one keep-alive client, as for single records: a new httpx client per request
            # (an SSL context, a connection) cost the client ~15 ms, counted against the server.
            # Floor and service alternate, so both are measured under the same load from
            # whatever else shares the machine; the best of each is compared.
            with httpx.Client(base_url=url, timeout=120) as http:
                for _ in range(n_batch):
                    floor_batch_s.append(_timed(lambda: model.predict_proba(prepared)))
                    started = time.perf_counter()
                    answer = http.post("/predict", content=parquet,
                                       headers={"content-type": "application/vnd.apache.parquet"})
                    batch_s.append(time.perf_counter() - started)
                    assert answer.status_code == 200 and len(answer.json()["scores"]) == 10_000
            floor_batch = min(floor_batch_s)
        finally:
            _stop(process)

        # logging on vs off: both services up at once, short bursts of 4 clients of
        # single records alternating between them, the cost from the median of each
        # round's ratio (one service per restart, three times, swung by ±15 % with load)
        rates: dict[str, list[float]] = {"off": [], "on": []}
        services = {mode: _start(root, "--no-log" if mode == "off" else "--log")
                    for mode in ("off", "on")}
        try:
            for _, url, ready in services.values():
                readies.append(ready)
                _concurrent_rate(url, bodies, 20)  # warm-up
            for _ in range(12 if full else 2):
                for mode in ("off", "on"):
                    rates[mode].append(_concurrent_rate(services[mode][1], bodies,
                                                        per_client // 2))
        finally:
            for process, _, _ in services.values():
                _stop(process)
        for _ in range(4 if full else 1):  # launch-to-ready, with nothing else running
            process, _, ready = _start(root, "--no-log")
            readies.append(ready)
            _stop(process)
        logged = pd.read_parquet(root / ".nbops" / "predictions" / "churn")
        assert len(logged) > 0
        first_answer = startup(root, 3 if full else 1)

    floor_p50, floor_p99 = _percentile(floor_single, 0.5), _percentile(floor_single, 0.99)
    p50, p99 = _percentile(served_single, 0.5), _percentile(served_single, 0.99)
    floor_rate = 1 / statistics.mean(floor_single)
    rows_floor = 10_000 / floor_batch
    rows_served = 10_000 / min(batch_s)
    cost = 1 - statistics.median(on / off for on, off in zip(rates["on"], rates["off"],
                                                            strict=True))
    return [
        {"name": "serving.floor_single", "what": "in-process predict_proba, one row (p50)",
         "seconds": round(floor_p50, 5), "p99_s": round(floor_p99, 5)},
        {"name": "serving.single_p50", "what": "one JSON record over HTTP, p50 vs floor p50",
         "seconds": round(p50, 5), "ratio_to_baseline": round(p50 / floor_p50, 3),
         "target_ratio": 1.5},
        {"name": "serving.single_p99", "what": "one JSON record over HTTP, p99 vs floor p99",
         "seconds": round(p99, 5), "ratio_to_baseline": round(p99 / floor_p99, 3),
         "target_ratio": 2.0},
        {"name": "serving.concurrent4", "what": "4 clients, requests/s vs floor's 1-thread rate",
         "seconds": round(1 / rate4, 5), "rate": round(rate4, 1),
         "floor_rate": round(floor_rate, 1),
         "ratio_to_baseline": round(rate4 / floor_rate, 3), "target_ratio": 0.8},
        {"name": "serving.parquet_10k", "what": "10,000-row Parquet request, rows/s vs floor",
         "seconds": round(min(batch_s), 4), "floor_s": round(floor_batch, 4),
         "rows_per_s": round(rows_served), "floor_rows_per_s": round(rows_floor),
         "ratio_to_baseline": round(rows_served / rows_floor, 3), "target_ratio": 0.8,
         "median_ratio": round(statistics.median(floor_batch_s) / statistics.median(batch_s), 3)},
        {"name": "serving.ready", "what": "launch to first /healthz answer (median)",
         "seconds": round(statistics.median(readies), 3), "min_s": round(min(readies), 3),
         "cpu_seconds": round(statistics.median(ready_cpu), 3), "target_seconds": 2.0,
         "ratio_to_target": round(statistics.median(readies) / 2.0, 3)},
        {"name": "serving.log_cost", "what": "4-client rate with the prediction log on vs off",
         "seconds": round(1 / statistics.median(rates["on"]), 5),
         "rate_on": round(statistics.median(rates["on"]), 1),
         "rate_off": round(statistics.median(rates["off"]), 1),
         "cost_fraction": round(cost, 3), "target_cost": 0.10},
        *first_answer,
    ]


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _main(argv: list[str]) -> None:
    if "--startup-only" in argv:
        after = argv[argv.index("--startup-only") + 1:]
        launches = int(after[0]) if after and after[0].isdigit() else 7
        project = Path(argv[argv.index("--project") + 1]) if "--project" in argv else None
        for row in startup(project, launches, floor="--floor" in argv):
            print(row)
        return
    for row in run(full="--quick" not in argv):
        print(row)


if __name__ == "__main__":
    _main(sys.argv[1:])
