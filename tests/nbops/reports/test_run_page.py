import re

import pytest
from reports_fixture import SECRET, XSS_IMG, XSS_SCRIPT, make_run, run_id_at

from nbops.reports._render import render_run


@pytest.fixture(scope="module")
def rendered(ledger):
    for key in ("first", "failed", "latest"):
        render_run(ledger[key])
    return {key: (ledger[key] / "index.html").read_text("utf-8")
            for key in ("first", "failed", "latest")}


def _row(html: str, table: str, first_cell: str) -> str:
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    for row in re.findall(r"<tr.*?</tr>", body, re.S):
        if f"<td>{first_cell}</td>" in row:
            return row
    raise AssertionError(f"no row {first_cell!r} in table {table}")


def test_every_task_with_a_notebook_gets_a_page_and_links(ledger, rendered):
    html = rendered["latest"]
    for task in ("load", "features", "train", "evaluate"):
        assert (ledger["latest"] / "html" / f"{task}.html").is_file()
        assert f'href="html/{task}.html"' in html
        assert f'href="notebooks/{task}.ipynb"' in html


def test_reused_task_page_is_linked_from_the_run_that_executed_it(ledger, rendered):
    reused = ledger["latest"] / "html" / "load.html"
    original = ledger["first"] / "html" / "load.html"
    assert reused.stat().st_ino == original.stat().st_ino
    row = _row(rendered["latest"], "tasks", "load")
    assert "reused" in row and f"../{run_id_at(1)}/index.html" in row


def test_graph_colours_tasks_by_status(rendered):
    svg = re.search(r"<svg.*?</svg>", rendered["failed"], re.S).group(0)
    statuses = dict(re.findall(r'<g class="node" data-task="([^"]+)" data-status="([^"]+)"', svg))
    assert statuses == {"load": "executed", "features": "executed", "train": "failed",
                        "evaluate": "not_run", "report": "not_run"}


def test_metrics_show_deltas_against_previous_run_and_champion(rendered):
    html = rendered["latest"]
    # previous comparable run is the first one (the failed run in between has no metrics)
    assert f"vs previous run <a href=\"../{run_id_at(1)}/index.html\">" in html
    assert "vs champion churn v2" in html
    row = _row(html, "metrics", "roc_auc")
    assert "+0.03 (+3.7%)" in row  # 0.83 vs 0.80, against both baselines
    assert row.count("+0.03") == 2
    assert "\u22120.01" in _row(html, "metrics", "accuracy")


def test_gates_and_registry_sections_appear_only_when_present(rendered):
    assert "Quality gates" in rendered["latest"] and "auc_floor" in rendered["latest"]
    assert "Model registry" in rendered["latest"]
    assert "Quality gates" not in rendered["first"] and "Model registry" not in rendered["first"]


def test_failed_run_has_banner_linking_to_the_failed_cell(rendered):
    banner = re.search(r'<div class="banner".*?</div>', rendered["failed"], re.S).group(0)
    assert "train failed: ZeroDivisionError: division by zero" in banner
    assert 'href="html/train.html#nbops-failed-cell"' in banner


def test_provenance_and_parameters(rendered):
    html = rendered["first"]
    for text in ("0123abc", "uncommitted changes", "3.11.9", "ploomber", "0.23.3", "seed"):
        assert text in html


def test_hostile_strings_are_escaped_and_secrets_absent(ledger, rendered):
    html = rendered["latest"]
    assert XSS_SCRIPT not in html and XSS_IMG not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "onerror=&quot;window.__xss=1&quot;" in html.replace("&#34;", "&quot;")  # Jinja2: &#34;
    for page in (ledger["latest"] / "html").iterdir():
        text = page.read_text("utf-8")
        assert SECRET not in text and XSS_SCRIPT not in text and XSS_IMG not in text, page


def test_a_rendering_problem_is_logged_and_never_fails_the_build(tmp_path, caplog):
    from reports_fixture import make_run

    from nbops.reports._render import render_after_run

    run = make_run(tmp_path / "reports", run_id_at(5))
    (run / "manifest.json").write_text("{truncated")
    assert render_after_run(run) is None
    assert f"nbops report {run.name}" in caplog.text and "not valid JSON" in caplog.text


def test_gates_say_where_their_scores_came_from_without_dumping_the_measurements():
    from nbops.reports._run_sections import gates_section

    measured = {"inputs": {"model_file": "blake3:" + "a" * 64}, "model_types": [],
                "candidate": {"roc_auc": 0.8}, "data": {}, "champion": None}
    reused = gates_section({"verdict": "passed", "results": [],
                            "measured": {**measured, "reused_from": "<i>r1</i>"}})
    assert "Scores reused from run &lt;i&gt;r1&lt;/i&gt;: same model file" in reused
    assert "blake3:" not in reused  # the inputs' hashes stay in the manifest
    fresh = gates_section({"verdict": "passed", "results": [],
                           "measured": {**measured, "reused_from": None}})
    assert "Model and data measured in this run." in fresh


def test_monitoring_run_page_opens_with_verdict_and_folds_raw_drift(tmp_path):
    from test_summary import MONITORING

    from nbops.reports._render import render_run

    run = make_run(tmp_path / "reports", run_id_at(9), metrics={
        "monitor_verdict": 2.0, "live_roc_auc": 0.7, "drift_psi.age": 0.41,
        "monitor_threshold.psi_alert": 0.25}, extra={"monitoring": MONITORING})
    render_run(run, notebooks=False)
    html = (run / "index.html").read_text("utf-8")
    assert 'data-monitoring="alert">monitoring alert</span>' in html.split("</header>")[0]
    main = html.split("<main>")[1]
    assert main.index('id="drift"') < main.index('id="metrics"') < main.index('id="raw-metrics"')
    shown = main.split('id="metrics"')[1].split("</table>")[0]
    assert "live_roc_auc" in shown and "drift_psi.age" not in shown
    assert "drift_psi.age" in main.split('id="raw-metrics"')[1]


def test_registry_section_is_a_table_of_rounded_numbers(tmp_path):
    from nbops.reports._render import render_run

    registry = {"model": "churn", "version": 2, "promoted": True, "primary_metric": "roc_auc",
                "decision": "promoted churn:2 to @champion",
                "candidate_metrics": {"roc_auc": 0.8412345},
                "champion_before": {"version": 1, "run_id": run_id_at(1),
                                    "metrics": {"roc_auc": 0.8300001}},
                "deltas": {"roc_auc": 0.0112344}, "champion_after": 2}
    run = make_run(tmp_path / "reports", run_id_at(8), extra={"registry": registry})
    render_run(run, notebooks=False)
    html = (run / "index.html").read_text("utf-8")
    table = html.split('id="registry-metrics"')[1].split("</table>")[0]
    assert ">0.8412<" in table and ">0.83<" in table and ">0.0112<" in table
    assert "0.8412345" not in html.split('id="registry-metrics"')[1].split("</section>")[0]
    assert "promoted churn:2 to @champion" in html


def test_a_sweep_trial_renders_its_run_pages_and_leaves_the_site_index_to_the_sweep(
        tmp_path, monkeypatch):
    from nbops.reports._render import SITE_DEFERRED_ENV, render_after_run, render_site

    reports = tmp_path / "reports"
    first = make_run(reports, run_id_at(1), metrics={"roc_auc": 0.8})
    render_after_run(first)  # an ordinary build: its pages and the site
    assert run_id_at(1) in (reports / "index.html").read_text("utf-8")
    monkeypatch.setenv(SITE_DEFERRED_ENV, "1")
    second = make_run(reports, run_id_at(2), metrics={"roc_auc": 0.81})
    result = render_after_run(second)
    assert result is not None and (second / "index.html").is_file()
    assert {"load", "features", "train", "evaluate"} <= set(result.notebook_pages)
    assert run_id_at(2) not in (reports / "index.html").read_text("utf-8")
    render_site(reports)  # what the sweep does once its trials ended
    assert run_id_at(2) in (reports / "index.html").read_text("utf-8")
