"""Build ledger folders (manifest + output notebooks) that follow ARCHITECTURE.md.

Reports are tested against these before and beside real builds: they let a
test choose statuses, failures, metrics, a champion and hostile strings
precisely. Manifests are written with nbops.contracts.write_manifest, so they must pass
the real schema; notebooks are real nbformat v4 files with the outputs a
kernel produces (stream, display_data with a PNG, execute_result HTML, error).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nbops.contracts._manifest_file import write_manifest
from nbops.runs._index import summarize

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '"><img src=x onerror="window.__xss=1">'
SECRET = "s3cr3t-token-value"
PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HASH = "blake3:" + "0" * 64


def run_id_at(index: int, suffix: str = "aaaaaa") -> str:
    """A valid run id ``index`` minutes after a fixed origin."""
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
    return moment.strftime("%Y%m%dT%H%M%S%fZ") + "-" + suffix


def output_notebook(
    task: str,
    params: dict[str, Any],
    *,
    fail: bool = False,
    metric: tuple[str, float] | None = None,
) -> Any:
    """An executed notebook as Papermill leaves it (injected cell, outputs, error markers)."""
    injected = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cells = [
        new_markdown_cell(f"# {task}\nA report for *people*. {XSS_SCRIPT}"),
        new_code_cell("threshold = 0.5", metadata={"tags": ["parameters"]}, execution_count=1),
        new_code_cell(f"# Parameters\n{injected}\n", metadata={"tags": ["injected-parameters"]},
                      execution_count=2),
        new_code_cell(
            "print(threshold)",
            outputs=[new_output("stream", name="stdout",
                                text=f"0.5 {params.get('api_token', '')}\n")],
            execution_count=3,
        ),
        new_code_cell(
            "plot()",
            outputs=[new_output("display_data",
                                data={"image/png": PNG_1PX, "text/plain": "<Figure>"},
                                metadata={"nbops": XSS_SCRIPT})],
            execution_count=4,
        ),
        new_code_cell(
            "df",
            outputs=[new_output(
                "execute_result",
                data={"text/html": "<table class=\"dataframe\"><thead><tr><th>a</th></tr></thead>"
                                   f"<tbody><tr><td>1</td></tr></tbody></table>{XSS_SCRIPT}"
                                   f"<img src=x onerror=\"window.__xss=1\">",
                      "text/plain": "   a\n0  1"},
                execution_count=5)],
            execution_count=5,
        ),
    ]
    if metric:
        name, value = metric
        record = {"kind": "metric", "name": name, "value": value}
        cells.append(new_code_cell(
            f"nbops.log_metric({name!r}, {value!r})",
            outputs=[new_output("display_data", data={
                "application/vnd.nbops.record+json": record, "text/plain": f"{name} = {value}"})],
            execution_count=6))
    if fail:
        cells.insert(0, new_markdown_cell(
            "<span style=\"color:red\">An Exception was encountered at "
            "'<a href=\"#papermill-error-cell\">In [7]</a>'.</span>",
            metadata={"tags": ["papermill-error-cell-tag"]}))
        cells.append(new_markdown_cell(
            '<span id="papermill-error-cell">Execution using papermill encountered an exception '
            "here and stopped:</span>", metadata={"tags": ["papermill-error-cell-tag"]}))
        cells.append(new_code_cell(
            "1 / 0",
            outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                traceback=["\x1b[31mZeroDivisionError\x1b[0m: division by zero"])],
            execution_count=7))
        cells.append(new_code_cell("print('never')", execution_count=None))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.metadata["title"] = XSS_IMG
    return nb


def _task(status: str, upstream: list[str], notebook: str | None, metrics: dict[str, float],
          produced_by: str | None, error: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "status": status,
        "duration_s": 1.25 if status in ("executed", "failed") else 0.0,
        "upstream": upstream,
        "source": {"path": "notebooks/x.py", "hash": HASH},
        "products": {},
        "notebook": {"path": notebook, "hash": HASH, "size": 1} if notebook else None,
        "produced_by": produced_by,
        "metrics": metrics,
        "artifacts": [],
        "error": error,
    }


def make_run(
    reports_dir: Path,
    run_id: str,
    *,
    status: str = "succeeded",
    metrics: dict[str, float] | None = None,
    hostile: bool = False,
    skipped_from: str | None = None,
    extra: dict[str, Any] | None = None,
    write_notebooks: bool = True,
) -> Path:
    """Write one run folder under ``reports_dir/runs`` and append its index line.

    Tasks: ``load -> features -> train -> evaluate`` (``train`` fails when
    ``status == "failed"``; ``evaluate`` then does not run). With ``hostile``,
    a task name, a parameter, a metric name and notebook metadata carry XSS
    payloads, and a secret parameter is redacted in the manifest.
    """
    metrics = dict(metrics if metrics is not None else {"roc_auc": 0.81, "accuracy": 0.9})
    weird = f"report{XSS_IMG}" if hostile else "report"
    if hostile:
        metrics[f"m{XSS_SCRIPT}"] = 1.0
    tasks_spec = [("load", []), ("features", ["load"]), ("train", ["features"]),
                  ("evaluate", ["train"]), (weird, ["evaluate", "features"])]
    run_dir = Path(reports_dir) / "runs" / run_id
    (run_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    failed = status == "failed"
    tasks: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, upstream in tasks_spec:
        raw_params: dict[str, Any] = {"seed": 7, "label": XSS_SCRIPT if hostile else "churn"}
        if name == "train":
            raw_params["api_token"] = SECRET
        recorded = {k: ("***redacted***" if k == "api_token" else v) for k, v in raw_params.items()}
        if failed and name in ("evaluate", weird):
            tasks[name] = _task("not_run", upstream, None, {}, None, None)
            continue
        fails_here = failed and name == "train"
        task_status = "failed" if fails_here else ("skipped" if skipped_from and name == "load"
                                                   else "executed")
        notebook = f"notebooks/{name}.ipynb"
        task_metrics = metrics if name == "evaluate" else {}
        first = next(iter(task_metrics.items()), None)
        if write_notebooks:
            nb = output_notebook(name, raw_params, fail=fails_here, metric=first)
            nbformat.write(nb, str(run_dir / notebook))
        error = ({"cell_index": 9, "ename": "ZeroDivisionError", "evalue": "division by zero"}
                 if fails_here else None)
        produced = skipped_from if task_status == "skipped" else run_id
        tasks[name] = _task(task_status, upstream, notebook, task_metrics, produced, error)
        params[name] = recorded
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "run_id": run_id,
        "project": "fixture",
        "status": status,
        "started_at": "2026-01-01T00:00:00.000000Z",
        "finished_at": "2026-01-01T00:00:05.000000Z",
        "duration_s": 5.0,
        "command": ["ploomber", "build"],
        "host": "test-host",
        "pid": 1,
        "params": params,
        "env": {"seed": 7, "api_token": "***redacted***", "registry": {"model": "churn"}},
        "tasks": tasks,
        "metrics": {} if failed else metrics,
        "provenance": {
            "git": {"commit": "0123abc", "branch": "main", "dirty": True, "diff_hash": HASH},
            "python": "3.11.9", "platform": "Linux", "packages": {"ploomber": "0.23.3"},
            "lock_hash": HASH, "sources": {"train": HASH}, "inputs": {}, "seeds": {"seed": 7},
        },
        "failure": ({"task": "train", "cell_index": 9, "ename": "ZeroDivisionError",
                     "evalue": "division by zero",
                     "message": "train failed: ZeroDivisionError: division by zero"}
                    if failed else None),
    }
    manifest.update(extra or {})
    write_manifest(run_dir / "manifest.json", manifest)
    line = summarize(manifest)  # the ledger's own index line
    with open(Path(reports_dir) / "runs" / "index.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    return run_dir


_BUILT: dict[str, Path] = {}
LEDGER_PROJECT = Path(__file__).parents[2] / "notebooks" / "ledger_project"


def ploomber_build(root: Path, *args: str) -> Any:
    """Run a real ``ploomber build`` in ``root`` (telemetry off, no inherited run)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false",
           "PLOOMBER_VERSION_CHECK_DISABLED": "true"}
    env.pop("NBOPS_RUN_ID", None)
    env.pop("NBOPS_PROJECT_ROOT", None)
    ploomber = Path(sys.executable).parent / "ploomber"
    return subprocess.run([str(ploomber), "build", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def built_project(base: Path) -> Path:
    """The fixture pipeline after a passing build then a failing one, built once per session.

    Args:
        base: a session-lived temporary folder (used on the first call only).
    """
    if "root" not in _BUILT:
        import shutil

        root = Path(base) / "project"
        shutil.copytree(LEDGER_PROJECT, root)
        ok = ploomber_build(root)
        assert ok.returncode == 0, ok.stderr[-3000:]
        failing = ploomber_build(root, "--env--fail", "true")
        assert failing.returncode != 0, failing.stdout[-2000:]
        _BUILT["root"] = root
        _BUILT["outputs"] = (ok, failing)  # type: ignore[assignment]
    return _BUILT["root"]


def built_outputs() -> Any:
    """The two ``CompletedProcess`` of :func:`built_project` (passing, failing)."""
    return _BUILT["outputs"]
