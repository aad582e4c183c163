"""Speed of the HTML reports: notebook pages, the run page, the site, publishing.

Targets (issue 4): rendering adds at most 0.5 s per notebook to a build, and
the site of 1,000 runs rebuilds in under 2 s. Notebook pages are rendered in
the build's process with a reused nbconvert exporter; the baseline is what a
build would pay per notebook by calling ``jupyter nbconvert --to html`` as a
separate process. The one-time cost of building the exporter (paid once per
build) is measured in a fresh process that has already imported ploomber and
papermill, as a build's process has (they import nbconvert themselves).

Run: ``python -m benchmarks.reports_bench`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import best_of

NOTEBOOK_TARGET_S = 0.5
SITE_TARGET_S = 2.0
SITE_RUNS = 1000
EXPERIMENTS = 20
SITE_MB_TARGET = 5.0
COMPARE_TARGET_S = 0.5
HASH = "blake3:" + "0" * 64


def _figure_png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    x = np.linspace(0, 10, 400)
    ax.plot(x, np.sin(x))
    ax.plot(x, np.cos(x))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook(path: Path, png: str, cells: int = 24) -> Path:
    """A realistic output notebook: injected cell, code, text, a table and two figures."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    table = "<table class='dataframe'><thead><tr><th>a</th><th>b</th></tr></thead><tbody>" + \
        "".join(f"<tr><td>{i}</td><td>{i * 0.5}</td></tr>" for i in range(20)) + "</tbody></table>"
    body = [
        new_code_cell("seed = 1", metadata={"tags": ["parameters"]}, execution_count=1),
        new_code_cell("# Parameters\nseed = 7\nproduct = {'nb': 'x.ipynb'}\n",
                      metadata={"tags": ["injected-parameters"]}, execution_count=2),
    ]
    for i in range(cells):
        if i % 6 == 0:
            body.append(new_markdown_cell(f"## Section {i}\nSome *narrative* text."))
        outputs = [new_output("stream", name="stdout", text=f"step {i} done\n" * 3)]
        if i in (5, 17):
            outputs = [new_output("display_data", data={"image/png": png, "text/plain": "<Fig>"})]
        elif i % 7 == 3:
            outputs = [new_output("execute_result", data={"text/html": table, "text/plain": "df"},
                                  execution_count=i + 3)]
        body.append(new_code_cell(f"x_{i} = compute({i})\nprint('step {i} done')",
                                  outputs=outputs, execution_count=i + 3))
    nb = new_notebook(cells=body)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nbformat.write(nb, str(path))
    return path


def _manifest(run_id: str, tasks: list[str]) -> dict[str, Any]:
    def task(name: str, index: int) -> dict[str, Any]:
        return {"status": "executed", "duration_s": 2.0, "upstream": tasks[max(index - 1, 0):index],
                "source": {"path": f"notebooks/{name}.py", "hash": HASH}, "products": {},
                "notebook": {"path": f"notebooks/{name}.ipynb", "hash": HASH},
                "produced_by": run_id, "metrics": {}, "artifacts": [], "error": None}

    return {
        "schema_version": 1, "run_id": run_id, "project": "bench", "status": "succeeded",
        "started_at": "2026-01-01T00:00:00.000000Z", "finished_at": "2026-01-01T00:01:00.000000Z",
        "duration_s": 60.0, "command": ["ploomber", "build"], "host": "bench", "pid": 1,
        "params": {t: {"seed": 7} for t in tasks}, "env": {"seed": 7},
        "tasks": {t: task(t, i) for i, t in enumerate(tasks)},
        "metrics": {"roc_auc": 0.81, "pr_auc": 0.55, "brier": 0.12},
        "provenance": {"git": {"commit": "abc", "branch": "main", "dirty": False,
                               "diff_hash": None}, "python": "3.11", "platform": "Linux",
                       "packages": {"ploomber": "0.23.3"}, "lock_hash": None, "sources": {},
                       "inputs": {}, "seeds": {}},
        "failure": None,
    }


def _ledger(reports: Path, runs: int, png: str, tasks: list[str]) -> Path:
    """``runs`` index lines and folders; the newest run has real notebooks and a manifest."""
    from nbops.contracts import write_manifest

    folder = reports / "runs"
    folder.mkdir(parents=True)
    lines = []
    for i in range(runs):
        month, day, hour = 1 + i // (28 * 24) % 12, 1 + i // 24 % 28, i % 24
        run_id = f"2026{month:02d}{day:02d}T{hour:02d}0000000000Z-bench{chr(97 + i % 26)}"
        (folder / run_id).mkdir()
        (folder / run_id / "manifest.json").write_text("{}")  # the site never reads it
        lines.append(json.dumps({
            "schema_version": 1, "run_id": run_id,
            "status": "failed" if i % 9 == 0 else "succeeded",
            "started_at": "2026-01-01T00:00:00.000000Z", "finished_at": None, "duration_s": 61.0,
            "executed": 4, "skipped": 1, "failed": 0,
            "metrics": {"roc_auc": 0.8 + (i % 13) / 200, "pr_auc": 0.5 + (i % 7) / 100,
                        "brier": 0.12},
            "experiment": {"model": f"model{i % EXPERIMENTS}",
                           "data": f"data{i % EXPERIMENTS}.csv", "name": None},
            "params": {"seed": 7, "model.max_iter": 100 + 50 * (i % 5),
                       "model.learning_rate": 0.05, "data.path": f"data{i % EXPERIMENTS}.csv"}}))
    (folder / "index.jsonl").write_text("\n".join(lines) + "\n")
    newest = folder / sorted(p.name for p in folder.iterdir() if p.is_dir())[-1]
    (newest / "notebooks").mkdir()
    for name in tasks:
        _notebook(newest / "notebooks" / f"{name}.ipynb", png)
    write_manifest(newest / "manifest.json", _manifest(newest.name, tasks))
    return newest


def _cold_first_render(notebook: Path, out: Path) -> float:
    code = (
        "import ploomber, papermill, nbformat  # already loaded in a build's process\n"
        "from pathlib import Path\n"
        f"nbformat.validate(nbformat.read({str(notebook)!r}, as_version=4))"
        "  # papermill validates each notebook it writes\n"
        "import time, sys; t = time.perf_counter()\n"
        "from nbops.reports import NotebookPage, render_notebook_file\n"
        f"render_notebook_file(Path({str(notebook)!r}), Path({str(out)!r}), NotebookPage('t'))\n"
        "print(time.perf_counter() - t)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return float(result.stdout.strip().splitlines()[-1])


def _subprocess_nbconvert(notebook: Path, out_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir",
                    str(out_dir), str(notebook)], capture_output=True, check=True)


def _compare(folder: Path, repeats: int) -> float:
    """Time the comparison page of three runs with full provenance (300 packages each)."""
    from nbops.contracts import write_manifest
    from nbops.reports import write_compare_page

    ids = [f"20260101T0{i}0000000000Z-cmpaaa" for i in range(3)]
    for i, run_id in enumerate(ids):
        manifest = _manifest(run_id, ["get", "clean", "features", "train", "evaluate"])
        manifest["provenance"]["packages"] = {f"pkg{k}": f"1.{k}.{i if k < 3 else 0}"
                                              for k in range(300)}
        manifest["env"] = {"seed": 7 + i, "model": {"max_iter": 100 * (i + 1)}}
        (folder / "runs" / run_id).mkdir(parents=True, exist_ok=True)
        write_manifest(folder / "runs" / run_id / "manifest.json", manifest)
    out = folder / "compare.html"
    seconds = best_of(repeats, lambda: write_compare_page(folder, ids, out))
    assert "NBOPS_PICK" in out.read_text()
    return seconds


def run(repeats: int = 3) -> list[dict[str, Any]]:
    """Time notebook pages (warm, cold, subprocess baseline), run page, site and publish."""
    from nbops.reports import (
        NotebookPage,
        publish_html,
        render_notebook_file,
        render_notebooks,
        render_run,
        render_site,
    )

    tasks = ["get", "clean", "features", "train", "evaluate"]
    png = _figure_png()
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp) / "reports"
        newest = _ledger(reports, SITE_RUNS, png, tasks)
        notebook = newest / "notebooks" / "train.ipynb"
        page = newest / "html" / "train.html"
        render_notebook_file(notebook, page, NotebookPage("train"))  # exporter built once
        warm_s = best_of(repeats, lambda: render_notebook_file(notebook, page,
                                                                NotebookPage("train")))
        assert "nbops-injected" in page.read_text()  # the bench measures real pages
        cold_s = _cold_first_render(notebook, Path(tmp) / "cold.html")
        baseline_s = best_of(1, lambda: _subprocess_nbconvert(notebook, Path(tmp) / "nbc"))
        from nbops.reports import load_manifest

        manifest = load_manifest(newest)
        all_pages_s = best_of(repeats, lambda: render_notebooks(manifest, newest, reuse=False))
        run_page_s = best_of(repeats, lambda: render_run(newest, notebooks=False))
        site_s = best_of(repeats, lambda: render_site(reports))
        assert sum(p.read_text().count("<tr data-status=")
                   for p in (reports / "experiments").iterdir()) == SITE_RUNS
        site_bytes = sum(p.stat().st_size for p in [reports / "index.html",
                                                     reports / "compare.html",
                                                     *(reports / "experiments").iterdir()])
        experiment_pages = len(list((reports / "experiments").iterdir()))
        publish_s = best_of(repeats, lambda: publish_html(newest.name, Path(tmp) / "one.html",
                                                           reports_dir=reports))
        size_kib = (Path(tmp) / "one.html").stat().st_size / 1024
        compare_s = _compare(Path(tmp) / "cmp" / "reports", repeats)  # a project's reports/
    per_notebook_s = all_pages_s / len(tasks)
    return [
        {
            "name": "reports.notebook_page",
            "what": f"one notebook page in the build process, reused exporter ({len(tasks)} "
                    "pages of 24 code cells, 2 figures, 4 tables each; mean per page)",
            "seconds": round(per_notebook_s, 4),
            "target_seconds": NOTEBOOK_TARGET_S,
            "ratio_to_target": round(per_notebook_s / NOTEBOOK_TARGET_S, 3),
        },
        {
            "name": "reports.notebook_page_single",
            "what": "the train page alone, best of repeats (warm)",
            "seconds": round(warm_s, 4),
        },
        {
            "name": "reports.first_page_cold",
            "what": "first page of a build: in a fresh process that has imported ploomber and "
                    "papermill (as a build has), build the exporter and render one page",
            "seconds": round(cold_s, 3),
        },
        {
            "name": "reports.nbconvert_subprocess_baseline",
            "what": "`python -m nbconvert --to html` as a separate process, same notebook",
            "seconds": round(baseline_s, 3),
            "ratio_inprocess_to_subprocess": round(per_notebook_s / baseline_s, 4),
        },
        {
            "name": "reports.run_page",
            "what": f"run page of a {len(tasks)}-task run (reads the index for the previous run)",
            "seconds": round(run_page_s, 4),
        },
        {
            "name": "reports.site",
            "what": f"the whole site for {SITE_RUNS:,} runs in {EXPERIMENTS} experiments from "
                    "the run index: front page (newest 300 runs), experiment pages with "
                    "trends, compare page",
            "seconds": round(site_s, 3),
            "target_seconds": SITE_TARGET_S,
            "ratio_to_target": round(site_s / SITE_TARGET_S, 3),
        },
        {
            "name": "reports.site_size",
            "what": f"front page, compare page and {experiment_pages} experiment pages for "
                    f"{SITE_RUNS:,} runs in {EXPERIMENTS} experiments (run pages are linked, "
                    "never inlined)",
            "seconds": None,
            "site_mb": round(site_bytes / 1e6, 3),
            "target_mb": SITE_MB_TARGET,
            "ratio_to_target": round(site_bytes / 1e6 / SITE_MB_TARGET, 3),
        },
        {
            "name": "reports.compare_page",
            "what": "nbops compare -o of three real-shaped runs: read three manifests, build "
                    "their records, write the one-file page",
            "seconds": round(compare_s, 4),
            "target_seconds": COMPARE_TARGET_S,
            "ratio_to_target": round(compare_s / COMPARE_TARGET_S, 3),
        },
        {
            "name": "reports.publish_html",
            "what": f"single self-contained file of a {len(tasks)}-notebook run",
            "seconds": round(publish_s, 4),
            "file_kib": round(size_kib, 1),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)  # noqa: T201 - a benchmark script reports on stdout
