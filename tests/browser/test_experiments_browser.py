"""Experiments, compare and monitoring pages in a real Chromium, at phone and laptop widths.

No page may be wider than the screen, request anything from the network, or run
a payload string; the compare page is static (works from disk, and as the one
file `nbops compare -o` writes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "nbops" / "reports"))

from reports_fixture import XSS_IMG, XSS_SCRIPT, built_project, make_run, run_id_at  # noqa: E402
from test_model_page import REGISTRY  # noqa: E402

from nbops.reports._compare_page import write_compare_page  # noqa: E402
from nbops.reports._render import render_run, render_site  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WIDTHS = (390, 1366)
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
MONITORING = {"schema_version": 1, "task": "monitor", "verdict": "alert",
              "summary": "alert: 1 feature drifted (age)",
              "banner": "MONITORING ALERT: 1 feature drifted (age)",
              "top_features": ["age"], "problems": [], "rows": 400,
              "champion": {"model": "churn", "version": 1},
              "features": {"age": {"kind": "numeric", "status": "alert", "psi": 0.41, "ks": 0.3},
                           XSS_SCRIPT: {"kind": "numeric", "status": "ok", "psi": 0.01}}}


def _env(max_iter: int, path: str | None = None, note: str = "plain") -> dict:
    return {"seed": 7, "data": {"path": path, "rows": 500}, "note": note,
            "model": {"max_iter": max_iter}, "registry": {"model": "churn"}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    reports = tmp_path_factory.mktemp("experiments") / "reports"
    make_run(reports, run_id_at(1), metrics={"roc_auc": 0.81, "f1": 0.5},
             extra={"env": _env(100)})
    make_run(reports, run_id_at(2), status="gated", metrics={"roc_auc": 0.70, "f1": 0.4},
             extra={"env": _env(50, note=XSS_IMG), "gates": {"verdict": "failed", "results": [
                 {"name": "min_roc_auc", "verdict": "failed", "value": 0.7, "threshold": 0.75,
                  "detail": "roc_auc = 0.7, needs >= 0.75"}]}})
    make_run(reports, run_id_at(3), metrics={"roc_auc": 0.83, "f1": 0.52},
             extra={"env": _env(300)}, hostile=True)
    make_run(reports, run_id_at(4), metrics={"roc_auc": 0.85},
             extra={"env": _env(100, "/data/telco-customer-churn.csv")})
    monitor = make_run(reports, run_id_at(5), metrics={"monitor_verdict": 2.0,
                                                       "live_roc_auc": 0.7},
                       extra={"env": _env(100), "monitoring": MONITORING})
    registry = reports.parent / ".nbops" / "registry" / "models.json"
    registry.parent.mkdir(parents=True)
    registry.write_text(json.dumps(REGISTRY))
    for run in sorted(p for p in (reports / "runs").iterdir() if p.is_dir()):
        render_run(run)
    render_site(reports)
    single = write_compare_page(reports, [run_id_at(1), run_id_at(2), run_id_at(3)],
                                reports.parent / "shared" / "compare.html")
    return {"reports": reports, "site": reports / "index.html", "monitor": monitor,
            "single": single}


@pytest.fixture(scope="module")
def served(site: dict[str, Path]):  # type: ignore[no-untyped-def]
    """The site served by `nbops serve` on a free loopback port."""
    import threading

    from nbops.reports._serve import make_server

    server = make_server(site["reports"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def allowed_url_prefixes(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Only the tests that use `served` may load from it (its loopback address)."""
    if "served" in request.fixturenames:
        return (request.getfixturevalue("served"),)
    return ()


def _no_overflow(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(50)
    assert page.evaluate(OVERFLOW_JS) <= 0, f"page wider than the screen at {width}px"


def _no_payload_ran(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0


def test_site_opens_on_experiments_with_filters(page, site, shoot):
    page.goto(site["site"].as_uri())
    rows = page.locator("#experiments tbody tr")
    assert rows.count() == 3  # churn on generated data, churn on telco, monitoring
    labels = rows.locator("td:first-child").all_inner_texts()
    assert "churn · embedded generator" in labels and "churn · telco-customer-churn.csv" in labels
    page.select_option("#filter-data", "telco-customer-churn.csv")
    assert page.locator("#runs tbody tr:not([hidden])").count() == 1
    page.select_option("#filter-data", "")
    page.fill("#filter-param", "model.max_iter=300")
    assert page.locator("#runs tbody tr:not([hidden])").count() == 1
    page.fill("#filter-param", "")
    monitoring_row = page.locator(f'#runs tr[data-run="{run_id_at(5)}"]')
    assert "monitoring alert" in monitoring_row.inner_text()  # not a plain green success
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"site-experiments-{width}")
    _no_payload_ran(page)
    page.click('#experiments a:text-is("churn · embedded generator")')
    assert page.locator(".nbops-chart").count() >= 2
    assert page.locator('circle[data-status="gated"]').count() >= 1  # gated runs marked
    gated_row = page.locator(f'#runs tr[data-run="{run_id_at(2)}"]')
    assert gated_row.locator(".failed-gates").inner_text() == "min_roc_auc"  # and why
    heads = page.locator("#runs thead th").all_inner_texts()
    assert "model.max_iter" in heads and "note" in heads and "seed" not in heads
    chart = page.locator(".nbops-chart").first.inner_html()
    assert "2026-01-01 00:00" in chart and "run start, UTC" in chart  # dated, titled axis
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"experiment-{width}")
    _no_payload_ran(page)


def test_compare_three_runs_picked_on_the_site(page, site, shoot):
    page.goto(site["site"].as_uri())
    for index in (1, 2, 3):
        page.check(f'input.pick[value="{run_id_at(index)}"]')
    page.click("#compare-picked")
    page.wait_for_selector("#compare table")
    assert "compare.html?runs=" in page.url
    params = page.locator("section.compare-section", has=page.locator("h2", has_text="Parameters"))
    row = params.locator('tr[data-name="model.max_iter"]')
    assert row.get_attribute("class") == "differs"
    # newest first, as picked on the runs table
    assert row.locator("td").all_inner_texts() == ["model.max_iter", "300", "50", "100"]
    note = params.locator('tr[data-name="note"] td').nth(2).inner_text()  # run 2
    assert note == XSS_IMG  # shown as text
    metrics = page.locator("section.compare-section", has=page.locator("h2", has_text="Metrics"))
    assert "0.81 (\u22120.02)" in metrics.inner_text()  # change against the first column
    diff_links = page.locator(".notebook-links a")
    assert diff_links.count() >= 2  # runs 3 and 2 against their previous runs
    assert diff_links.first.get_attribute("href").endswith("/diff/evaluate.html") or \
        "/diff/" in diff_links.first.get_attribute("href")
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"compare-{width}")
    _no_payload_ran(page)
    assert page.locator("#pair-diff").count() == 0  # from files: the command, no link


def test_notebooks_of_any_runs_picked_on_the_served_site_are_diffed(page, served, shoot):
    """Served by `nbops serve`, the compare page offers a cell-by-cell diff of exactly
    the picked runs, made on request."""
    page.goto(served + "index.html")
    for index in (1, 3):
        page.check(f'input.pick[value="{run_id_at(index)}"]')
    page.click("#compare-picked")
    link = page.wait_for_selector("#pair-diff")
    assert link.get_attribute("href") == \
        f"_nbops/compare?runs={run_id_at(3)},{run_id_at(1)}"
    link.click()
    page.wait_for_url("**/_nbops/compare?runs=*")
    page.wait_for_selector("#compare section", state="attached")
    text = page.inner_text("body")
    assert "evaluate" in text and "roc_auc = 0.81" in text and "roc_auc = 0.83" in text
    assert page.locator(".del, .ins").count() >= 2  # the changed lines, marked
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"compare-notebooks-{width}")
    _no_payload_ran(page)


def test_compare_file_works_alone(page, site):
    page.goto(site["single"].as_uri())
    page.wait_for_selector("#compare table")
    assert page.locator("#compare section").count() >= 3
    _no_payload_ran(page)


def test_monitoring_alert_is_red_on_its_run_page(page, site, shoot):
    page.goto((site["monitor"] / "index.html").as_uri())
    first = page.locator("main > *").first
    assert "MONITORING ALERT" in first.inner_text()
    assert page.locator("#drift").is_visible()
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"monitoring-alert-{width}")
    _no_payload_ran(page)


def test_real_pages_fit_the_screen(page, tmp_path_factory):
    """A real failed notebook page and run page are no wider than the screen."""
    root = built_project(tmp_path_factory.getbasetemp() / "reports-build")
    failed = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())[1]
    for target in (failed / "index.html", failed / "html" / "train.html"):
        page.goto(target.as_uri())
        for width in WIDTHS:
            _no_overflow(page, width)


def test_notebook_diff_page(page, site, shoot):
    """The hostile run's notebooks against the previous run of its experiment."""
    run = site["reports"] / "runs" / run_id_at(3)
    run_page = (run / "index.html").read_text("utf-8")
    assert 'class="diff-link" href="diff/evaluate.html"' in run_page
    page.goto((run / "diff" / "evaluate.html").as_uri())
    changed = page.locator(".cell-diff.k-changed")
    assert changed.count() >= 1
    text = page.locator("main").inner_text()
    assert "- roc_auc = 0.7" in text and "+ roc_auc = 0.83" in text
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"notebook-diff-{width}")
    _no_payload_ran(page)
    page.click(f'nav a:text-is("previous run ({run_id_at(2)})")')
    assert page.url.endswith(f"{run_id_at(2)}/index.html")


def test_model_version_page(page, site, shoot):
    page.goto(site["site"].as_uri())
    page.click('#models a:text-is("churn:1")')  # the version the monitoring run watched
    assert "1 → 2" in page.locator("#model-history").inner_text()
    assert "monitoring alert" in page.locator("#model-runs").inner_text()
    for width in WIDTHS:
        _no_overflow(page, width)
        shoot(page, f"model-{width}")
    _no_payload_ran(page)
