"""``nbops runs --where EXPR --sort FIELD --limit N``: the expression language end to end.

Real index lines (``summarize`` of manifests written by ``make_run``), the real CLI,
and a ledger of 10,000 runs for the time a query takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nbops.core import ConfigError
from nbops.runs._query import field_value, parse_query, sort_rows


def _row(run: int, auc: float | None, depth: int, status: str = "succeeded",
         **extra: Any) -> dict[str, Any]:
    metrics = {} if auc is None else {"roc_auc": auc}
    return {"run_id": f"r{run:05d}", "status": status, "started_at": f"2026-01-01T00:{run:02d}",
            "duration_s": 1.0 + run, "executed": 2, "skipped": 3, "failed": 0,
            "metrics": metrics, "params": {"model.max_depth": depth, "seed": 7},
            "experiment": {"key": "churn", "label": "churn", "data": "embedded"}, **extra}


ROWS = [_row(1, 0.86, 4), _row(2, 0.81, 4), _row(3, 0.90, 6, status="gated"),
        _row(4, None, 4, status="failed"), _row(5, 0.88, 4, tags={"sweep": "grid4"})]


def _ids(expression: str) -> list[str]:
    query = parse_query(expression)
    return [row["run_id"] for row in ROWS if query.matches(row)]


def test_the_issue_example_and_the_operators() -> None:
    assert _ids("metrics.roc_auc > 0.85 and params.model.max_depth == 4") == ["r00001", "r00005"]
    assert _ids("0.85 <= metrics.roc_auc < 0.89") == ["r00001", "r00005"]
    assert _ids('status in ["gated", "failed"]') == ["r00003", "r00004"]
    assert _ids('not status == "succeeded" or tags.sweep == "grid4"') == [
        "r00003", "r00004", "r00005"]
    assert _ids("reused >= 3 and duration_s > 4.5") == ["r00004", "r00005"]
    assert _ids('experiment.data != "telco"') == [row["run_id"] for row in ROWS]
    assert _ids("params.seed == 7 and (metrics.roc_auc < 0.82 or metrics.roc_auc > 0.89)") == [
        "r00002", "r00003"]


def test_a_missing_field_or_a_mixed_comparison_is_false_for_that_run() -> None:
    assert _ids("metrics.roc_auc < 2") == ["r00001", "r00002", "r00003", "r00005"]
    assert _ids("tags.sweep == none") == []  # a run without tags has no tags.sweep
    assert _ids('metrics.roc_auc > "0.5"') == []  # a number against text: never true
    assert field_value(ROWS[0], "params.model.max_depth") == 4


@pytest.mark.parametrize(("expression", "words"), [
    ("metrics.roc_auc >> 0.85", "arithmetic is not allowed (at column 17)"),
    ("metrics.roc_auc > > 0.85", "is not a valid expression (invalid syntax at column"),
    ("metrics.roc_auc > 0.85 and", "is not a valid expression"),
    ("len(metrics) > 2", "a function call is not a field or a value (at column 1)"),
    ("metrics.roc_auc * 2 > 1", "arithmetic is not a field or a value (at column 17)"),
    ("metrcs.roc_auc > 0.8", "'metrcs' is not a field of a run"),
    ("status == succeeded", "'succeeded' is not a field of a run"),
    ("metrics.roc_auc", "'metrics.roc_auc' alone is not a condition"),
    ("__import__('os').system('true')", "a function call is not allowed (at column 1)"),
])
def test_bad_expressions_get_one_sentence_pointing_at_the_error(expression: str,
                                                                words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_query(expression)
    assert words in info.value.problem, info.value.problem
    assert "\n" not in info.value.message and info.value.fix


def test_sort_puts_runs_without_the_field_last() -> None:
    ordered = [r["run_id"] for r in sort_rows(ROWS, "-metrics.roc_auc")]
    assert ordered == ["r00003", "r00005", "r00001", "r00002", "r00004"]
    assert [r["run_id"] for r in sort_rows(ROWS, "metrics.roc_auc")][:2] == ["r00002", "r00001"]
    with pytest.raises(ConfigError, match="is not a field name"):
        sort_rows(ROWS, "-metrics..auc")


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose run index holds 10,000 runs (index lines only: what --where reads)."""
    from nbops.core import Project

    root = tmp_path_factory.mktemp("ledger") / "project"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    project = Project(root)
    project.runs_dir.mkdir(parents=True)
    lines = []
    for n in range(10_000):
        suffix = "".join("abcdefghijklmnopqrstuvwxyz234567"[(n >> 5 * k) & 31] for k in range(6))
        run_id = f"20260101T{n // 3600:02d}{n // 60 % 60:02d}{n % 60:02d}000000Z-{suffix}"
        (project.runs_dir / run_id).mkdir()
        row = _row(n % 60, 0.7 + (n % 300) / 1000, 2 + n % 5)
        row.update(run_id=run_id, schema_version=1, finished_at=row["started_at"], pid=1,
                   host="h")
        lines.append(json.dumps(row))
    project.index_path.write_text("\n".join(lines) + "\n")
    return root


def test_where_sort_limit_over_10000_runs_finds_the_right_ten(
        big_ledger: Path, record_property: Any) -> None:
    """The query (parse, filter, sort, limit) over 10,000 index lines picks the right rows.

    Its speed is a benchmark, not an assertion here (``ledger.cli_runs_where`` in
    ``python -m benchmarks --only ledger``): a timed assertion fails on a busy machine.
    """
    from nbops.core import Project
    from nbops.runs import list_runs

    rows = list_runs(Project(big_ledger))
    assert len(rows) == 10_000
    started = time.perf_counter()
    query = parse_query("metrics.roc_auc > 0.85 and params.model.max_depth == 4")
    found = sort_rows([row for row in rows if query.matches(row)], "-metrics.roc_auc")[:10]
    elapsed = time.perf_counter() - started
    values = [r["metrics"]["roc_auc"] for r in found]
    assert len(found) == 10 and values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(0.997)
    assert all(r["params"]["model.max_depth"] == 4 for r in found)
    record_property("query_s_10000_rows", round(elapsed, 3))

    base = [str(Path(sys.executable).parent / "nbops"), "runs", "--json", "--project",
            str(big_ledger)]
    timings = {}
    for name, extra in (("plain", []), ("where", [
            "--where", "metrics.roc_auc > 0.85 and params.model.max_depth == 4",
            "--sort", "-metrics.roc_auc", "--limit", "10"])):
        started = time.perf_counter()
        done = subprocess.run([*base, *extra], capture_output=True, text=True)
        timings[name] = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
    assert [r["run_id"] for r in json.loads(done.stdout)] == [r["run_id"] for r in found]
    record_property("command_s_plain", round(timings["plain"], 2))
    record_property("command_s_where", round(timings["where"], 2))


def test_a_bad_expression_from_the_cli_is_one_sentence_before_any_reading(
        big_ledger: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "nbops"), "runs", "--where",
                           "metrics.roc_auc > > 0.85", "--project", str(big_ledger)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is not a valid expression" in lines[0], done.stderr
