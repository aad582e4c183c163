import re

from reports_fixture import XSS_SCRIPT, make_run, run_id_at

from nbops.reports._ledger_view import list_summaries
from nbops.reports._render import render_run, render_site


def test_site_lists_runs_newest_first_with_badges_trends_and_controls(ledger):
    for key in ("first", "failed", "latest"):
        render_run(ledger[key], notebooks=False)
    html = render_site(ledger["reports"]).read_text("utf-8")
    ids = re.findall(r'<tr data-status="[a-z]+" data-run="([^"]+)"', html)
    assert ids == [run_id_at(3), run_id_at(2), run_id_at(1)]
    for run_id in ids:
        assert f'<a href="runs/{run_id}/index.html">' in html
        assert f'<input type="checkbox" class="pick" value="{run_id}"' in html
    assert 'data-status="failed"' in html and "badge s-failed" in html
    assert 'id="filter-text"' in html and 'id="filter-status"' in html and "data-sort" in html
    assert 'id="filter-experiment"' in html and 'id="filter-data"' in html
    assert XSS_SCRIPT not in html and "&lt;script&gt;" in html
    assert "<script src" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    experiment = re.search(r'<a href="(experiments/[^"]+\.html)">', html).group(1)
    page = (ledger["reports"] / experiment).read_text("utf-8")
    assert page.count('class="nbops-chart"') >= 2  # roc_auc and accuracy trends
    assert XSS_SCRIPT not in page
    assert (ledger["reports"] / "compare.html").is_file()


def test_site_reads_the_run_index_not_every_manifest(tmp_path):
    reports = tmp_path / "reports"
    for i in range(5):
        make_run(reports, run_id_at(i, "bbbbbb"), metrics={"roc_auc": 0.7 + i / 100},
                 write_notebooks=False)
    # A damaged manifest does not matter while the index has the run's summary.
    (reports / "runs" / run_id_at(2, "bbbbbb") / "manifest.json").write_text("{broken")
    summaries = list_summaries(reports)
    assert [s["run_id"] for s in summaries] == [run_id_at(i, "bbbbbb") for i in (4, 3, 2, 1, 0)]


def test_runs_missing_from_the_index_are_summarised_from_their_manifest(tmp_path):
    reports = tmp_path / "reports"
    make_run(reports, run_id_at(1, "cccccc"), write_notebooks=False)
    make_run(reports, run_id_at(2, "cccccc"), write_notebooks=False)
    (reports / "runs" / "index.jsonl").unlink()
    assert [s["run_id"] for s in list_summaries(reports)] == [run_id_at(2, "cccccc"),
                                                            run_id_at(1, "cccccc")]


def test_site_of_a_thousand_runs_is_built_from_the_index(tmp_path):
    import json

    reports = tmp_path / "reports"
    runs = reports / "runs"
    runs.mkdir(parents=True)
    lines = []
    for i in range(1000):
        run_id = run_id_at(i, "dddddd")
        (runs / run_id).mkdir()
        (runs / run_id / "manifest.json").write_text("{}")  # never read: the index answers
        lines.append(json.dumps({
            "schema_version": 1, "run_id": run_id, "status": "succeeded" if i % 7 else "failed",
            "started_at": "2026-01-01T00:00:00.000000Z", "finished_at": None, "duration_s": 3.0,
            "executed": 3, "skipped": 1, "failed": 0,
            "metrics": {"roc_auc": 0.8 + (i % 10) / 100, "accuracy": 0.9}}))
    (runs / "index.jsonl").write_text("\n".join(lines) + "\n")
    html = render_site(reports).read_text("utf-8")  # timed in benchmarks/reports_bench.py
    assert html.count("<tr data-status=") == 300  # the newest; pages link runs, never all
    assert "The 700 older runs are listed on their experiment's page." in html
    (experiment,) = (reports / "experiments").iterdir()
    page = experiment.read_text("utf-8")
    assert page.count("<tr data-status=") == 1000
    dots = re.findall(r'<circle [^>]*data-status="([a-z]+)"', page)
    assert len(dots) == 2000  # both headline metrics charted across every run
    assert dots.count("failed") == 2 * 143  # drawn hollow and red, and in the legend
    assert "failed / interrupted" in page


def _summary(run: int, metrics: dict, status: str = "succeeded") -> dict:
    return {"run_id": run_id_at(run), "status": status, "metrics": metrics,
            "executed": 1, "skipped": 0, "failed": 0, "duration_s": 1.0}


def test_monitoring_trends_carry_their_warn_and_alert_lines() -> None:
    from nbops.reports._site_page import experiment_html, headline_metrics

    monitoring = {"monitor_verdict": 0.0, "drift_psi.age": 0.02, "drift_psi.tenure": 0.31,
                  "live_roc_auc": 0.81, "monitor_threshold.psi_warn": 0.1,
                  "monitor_threshold.psi_alert": 0.25,
                  "monitor_threshold.live_roc_auc_warn": 0.84,
                  "monitor_threshold.live_roc_auc_alert": 0.79}
    summaries = [  # newest first: two monitoring batches after a training run
        _summary(3, monitoring),
        _summary(2, {**monitoring, "drift_psi.tenure": 0.05, "live_roc_auc": 0.86}),
        _summary(1, {"roc_auc": 0.88, "f1": 0.7}),
    ]
    names = headline_metrics(summaries)
    # training metrics stay charted; monitoring adds live AUC and the most drifted first
    assert names == ["roc_auc", "f1", "live_roc_auc", "drift_psi.tenure", "drift_psi.age"]
    html = experiment_html(summaries)  # these summaries carry no experiment: all one
    charts = dict(re.findall(r'<div class="chart"><h3>([^<]+)</h3>(<svg.*?</svg>)', html))
    assert charts["drift_psi.tenure"].count('class="threshold"') == 2
    assert "alert: 0.25" in charts["drift_psi.tenure"] and "warn: 0.1" in charts["drift_psi.tenure"]
    assert "alert: 0.79" in charts["live_roc_auc"]
    assert 'class="threshold"' not in charts["roc_auc"]
    assert not any(name.startswith("monitor_threshold.") for name in names)
