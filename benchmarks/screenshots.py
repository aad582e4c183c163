"""Screenshots of the report pages for docs/: ``python -m benchmarks.screenshots`` (or
``make screenshots``).

Builds a small demonstration ledger (no kernels: manifests and executed notebooks
written directly, as ``benchmarks/reports_bench.py`` does), renders it with the
real ``nbops.reports`` code, and photographs each kind of page with the Debian
Chromium at a laptop width (1366 px) and, for the front page, a phone width
(390 px). The pictures land in ``docs/images/reports-*.png``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.reports_bench import HASH, _figure_png, _manifest, _notebook

DOCS = Path(__file__).resolve().parents[1] / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
TASKS = ["ingest", "features", "train", "evaluate"]


def _run_id(index: int) -> str:
    return f"2026030{1 + index // 24}T{index % 24:02d}1500000000Z-demo{'abcdefgh'[index % 8]}a"


def _write(reports: Path, index: int, *, status: str = "succeeded", roc: float = 0.85,
           data: str | None = None, max_iter: int = 100, monitoring: dict | None = None,
           png: str = "") -> Path:
    from nbops.contracts import write_manifest
    from nbops.runs import summarize

    run_id = _run_id(index)
    run_dir = reports / "runs" / run_id
    (run_dir / "notebooks").mkdir(parents=True)
    manifest: dict[str, Any] = _manifest(run_id, TASKS)
    manifest["started_at"] = f"2026-03-0{1 + index // 24}T{index % 24:02d}:15:00.000000Z"
    manifest["status"] = status
    manifest["env"] = {"seed": 42, "data": {"path": data, "rows": 20000},
                       "model": {"max_iter": max_iter, "learning_rate": 0.05},
                       "registry": {"model": "churn"}}
    manifest["metrics"] = ({"roc_auc": roc, "pr_auc": roc - 0.2, "f1": roc - 0.25,
                            "brier": 0.12 + (0.9 - roc) / 4} if monitoring is None else
                           {"monitor_verdict": 2.0, "live_roc_auc": 0.81,
                            "drift_psi.age": 0.29, "drift_psi.tenure": 0.04})
    manifest["provenance"]["packages"] = {"scikit-learn": "1.9.1",
                                          "pandas": "3.1.1" if index < 3 else "3.1.2"}
    if status == "gated":
        manifest["gates"] = {"verdict": "failed", "results": [
            {"name": "min_roc_auc", "expression": "roc_auc >= 0.75", "kind": "absolute",
             "verdict": "failed", "value": roc, "threshold": 0.75,
             "detail": f"roc_auc = {roc}, needs >= 0.75"}]}
    if monitoring is not None:
        manifest["monitoring"] = monitoring
        manifest["tasks"] = {"monitor": manifest["tasks"]["evaluate"]}
        manifest["params"] = {"monitor": {"seed": 42}}
    for task in manifest["tasks"]:
        manifest["tasks"][task]["notebook"]["path"] = f"notebooks/{task}.ipynb"
        _notebook(run_dir / "notebooks" / f"{task}.ipynb", png, cells=8)
        if task == "evaluate":  # the metric the run logged, in its output
            nb = json.loads((run_dir / "notebooks" / f"{task}.ipynb").read_text())
            nb["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                           "text": f"roc_auc = {roc}\nmax_iter = {max_iter}\n"}]
            (run_dir / "notebooks" / f"{task}.ipynb").write_text(json.dumps(nb))
    write_manifest(run_dir / "manifest.json", manifest)
    with open(reports / "runs" / "index.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(summarize(manifest)) + "\n")
    return run_dir


def demo_ledger(root: Path) -> dict[str, Path]:
    """Ten runs in three experiments, a gated one, a monitoring alert, two model versions."""
    from nbops.reports import render_run, render_site

    png = _figure_png()
    reports = root / "reports"
    runs = {}
    for i, (roc, it) in enumerate([(0.861, 100), (0.874, 200), (0.868, 150), (0.883, 300),
                                   (0.879, 250)]):
        runs[f"churn{i}"] = _write(reports, i, roc=roc, max_iter=it, png=png)
    runs["gated"] = _write(reports, 5, status="gated", roc=0.52, max_iter=300, png=png)
    runs["telco0"] = _write(reports, 6, roc=0.846, data="telco-customer-churn.csv", png=png)
    runs["telco1"] = _write(reports, 7, roc=0.849, data="telco-customer-churn.csv",
                            max_iter=200, png=png)
    monitoring = {"schema_version": 1, "task": "monitor", "verdict": "alert",
                  "summary": "alert: drift in age (PSI 0.297, KS 0.216)",
                  "banner": "MONITORING ALERT: drift in age (PSI 0.297, KS 0.216)",
                  "top_features": ["age", "tenure"], "problems": [], "rows": 5000,
                  "champion": {"model": "churn", "version": 2},
                  "features": {"age": {"kind": "numeric", "status": "alert", "psi": 0.297,
                                       "ks": 0.216, "missing_current": 0.0},
                               "tenure": {"kind": "numeric", "status": "ok", "psi": 0.04,
                                          "ks": 0.03, "missing_current": 0.01}}}
    runs["monitor"] = _write(reports, 8, monitoring=monitoring, png=png)
    registry = {"schema_version": 1, "models": {"churn": {
        "created_at": "2026-03-01T00:15:00Z", "aliases": {"champion": 2},
        "history": [{"alias": "champion", "from": f, "to": t, "at": f"2026-03-01T0{t}:16:00Z",
                     "reason": r, "by": {"run_id": _run_id(k), "command": ["ploomber", "build"],
                                         "user": "demo"}, "action": "promote"}
                    for f, t, r, k in ((None, 1, "first version to pass the gates", 0),
                                       (1, 2, "roc_auc 0.8830 beats 0.8740", 3))],
        "versions": [{"version": v, "run_id": _run_id(k), "registered_by_run": _run_id(k),
                      "registered_at": f"2026-03-01T0{k}:16:00Z",
                      "artifact": {"hash": HASH, "size": 812_345, "format": "skops",
                                   "path": ".nbops/products/model.skops", "trusted_types": []},
                      "metrics": {"roc_auc": roc, "pr_auc": roc - 0.2},
                      "training_data": {"hash": HASH, "size": 1_450_000,
                                        "path": ".nbops/products/train.parquet"},
                      "test_data": {"hash": HASH, "size": 480_000,
                                    "path": ".nbops/products/test.parquet"},
                      "feature_schema": {"schema_version": 1, "target": "churn", "features": [
                          {"name": n, "dtype": "float"} for n in ("tenure", "age", "charges")]},
                      "feature_schema_hash": HASH, "git_commit": "4f2a9c1", "gates": "passed"}
                     for v, k, roc in ((1, 1, 0.874), (2, 3, 0.883))]}}}
    path = root / ".nbops" / "registry" / "models.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(registry))
    for run_dir in sorted((reports / "runs").iterdir()):
        if run_dir.is_dir():
            render_run(run_dir)
    render_site(reports)
    return {"reports": reports, **runs}


def shoot(root: Path, out: Path) -> list[Path]:
    """Photograph the demo pages into ``out``."""
    from playwright.sync_api import sync_playwright

    runs = demo_ledger(root)
    reports = runs["reports"]
    experiment = next(p for p in (reports / "experiments").iterdir()
                      if "embedded" in p.name)
    picked = ",".join(_run_id(i) for i in (1, 3, 5))
    pages = [
        ("site", (reports / "index.html").as_uri(), (1366, 390)),
        ("experiment", experiment.as_uri(), (1366,)),
        ("compare", (reports / "compare.html").as_uri() + f"?runs={picked}", (1366,)),
        ("notebook-diff", (runs["churn3"] / "diff" / "evaluate.html").as_uri(), (1366,)),
        ("monitoring-alert", (runs["monitor"] / "index.html").as_uri(), (1366,)),
        ("model", (reports / "models" / "churn-v2.html").as_uri(), (1366,)),
    ]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for name, url, widths in pages:
                for width in widths:
                    tab = browser.new_page(viewport={"width": width, "height": 900})
                    tab.goto(url)
                    tab.wait_for_timeout(200)
                    suffix = "" if width == 1366 else f"-{width}"
                    path = out / f"reports-{name}{suffix}.png"
                    tab.screenshot(path=str(path), full_page=False)
                    tab.close()
                    written.append(path)
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNG files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in shoot(Path(tmp), args.out):
            print(path)


if __name__ == "__main__":
    main()
