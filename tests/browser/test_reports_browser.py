"""The reports in a real browser: offline, no network, no XSS, links resolve, charts visible."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "nbops" / "reports"))

from browser_guard import Guard  # noqa: E402
from reports_fixture import XSS_IMG, XSS_SCRIPT, built_project, make_run, run_id_at  # noqa: E402

from nbops.reports._publish import publish_html  # noqa: E402
from nbops.reports._render import render_run, render_site  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => {
  const raw = a.getAttribute('href');
  return {raw: raw, url: new URL(raw, document.baseURI).href};
})"""


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reports of a real passing build and a real failing build, plus a published file."""
    root = built_project(tmp_path_factory.getbasetemp() / "reports-build")
    runs = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    single = publish_html(runs[1].name, tmp_path_factory.mktemp("share") / "failed-run.html",
                          reports_dir=root / "reports")
    return {"site": root / "reports" / "index.html", "passed": runs[0], "failed": runs[1],
            "single": single}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A ledger whose task names, parameters, metric names and metadata carry XSS payloads."""
    reports = tmp_path_factory.mktemp("hostile") / "reports"
    make_run(reports, run_id_at(1), metrics={"roc_auc": 0.8, "accuracy": 0.9})
    latest = make_run(reports, run_id_at(2), hostile=True,
                      extra={"gates": {"verdict": "passed", "results": [
                          {"name": XSS_SCRIPT, "verdict": "passed", "detail": XSS_IMG}]}})
    for run in sorted(p for p in (reports / "runs").iterdir() if p.is_dir()):
        render_run(run)
    render_site(reports)
    weird = next(p for p in (latest / "html").iterdir() if p.name.startswith("report-"))
    return {"site": reports / "index.html", "run": latest / "index.html", "notebook": weird,
            "train": latest / "html" / "train.html"}


def assert_links_resolve(tab) -> int:
    """Every link points to an existing file or to an element of its page."""
    checked = 0
    for link in tab.evaluate(LINKS_JS):
        url = urlparse(link["url"])
        if link["raw"].startswith("#"):
            target = unquote(link["raw"][1:])
            assert tab.evaluate("id => !!document.getElementById(id)", target), link
        else:
            assert url.scheme == "file", f"link leaves the machine: {link}"
            assert Path(unquote(url.path)).is_file(), f"dangling link: {link}"
        checked += 1
    return checked


def visible_box(tab, selector: str) -> dict[str, float]:
    box = tab.locator(selector).first.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, selector
    return box


def test_guard_catches_a_request_that_leaves_the_machine(browser, tmp_path):
    """The no-network check itself can fail: a file:// page's external image is caught."""
    local = tmp_path / "external.html"
    local.write_text('<img src="http://example.invalid/pixel.png">')
    guard = Guard()
    context = browser.new_context()
    context.route("**/*", lambda r: r.continue_() if guard.allows(r.request.url)
                  else (guard.blocked.append(r.request.url), r.abort()))
    tab = context.new_page()
    tab.goto(local.as_uri())
    tab.wait_for_timeout(200)
    context.close()
    assert guard.blocked == ["http://example.invalid/pixel.png"]


def test_site_offline_with_trends_table_sorting_and_filtering(page, real, shoot):
    page.goto(real["site"].as_uri())
    page.click("#experiments tbody a >> nth=0")  # trends live on the experiment's page
    visible_box(page, "svg.nbops-chart")
    assert assert_links_resolve(page) >= 2
    page.go_back()
    rows = page.locator("#runs tbody tr")
    assert rows.count() == 2
    assert assert_links_resolve(page) >= 2
    page.fill("#filter-text", real["failed"].name)
    assert page.locator("#runs tbody tr:not([hidden])").count() == 1
    page.fill("#filter-text", "")
    page.select_option("#filter-status", "failed")
    assert page.locator("#runs tbody tr:not([hidden])").count() == 1
    page.select_option("#filter-status", "")
    page.click("#runs th:nth-child(2)")  # ascending: oldest run first
    assert real["passed"].name in rows.first.inner_text()
    page.click("#runs th:nth-child(2)")
    assert real["failed"].name in rows.first.inner_text()
    shoot(page, "site")


def test_run_page_offline_with_graph_tasks_and_metrics(page, real, shoot):
    page.goto((real["passed"] / "index.html").as_uri())
    box = visible_box(page, "svg.nbops-graph")
    assert box["width"] > 200
    assert page.locator("svg.nbops-graph g.node").count() == 3
    assert page.locator("#tasks tbody tr").count() == 3
    assert "train_mean" in page.locator("#metrics").inner_text()
    assert assert_links_resolve(page) >= 7
    shoot(page, "run-page")


def test_failed_run_links_to_the_failed_cell(page, real, shoot):
    page.goto((real["failed"] / "index.html").as_uri())
    assert page.locator('svg.nbops-graph g.node[data-status="failed"]').count() == 1
    assert_links_resolve(page)
    shoot(page, "run-page-failed")
    page.click(".banner a")
    assert page.url.endswith("html/train.html#nbops-failed-cell")
    cell = visible_box(page, "#nbops-failed-cell")
    assert cell["y"] < 900  # scrolled into view
    assert "training diverged on purpose" in page.locator("#nbops-failed-cell").inner_text()
    shoot(page, "notebook-failed")


def test_notebook_page_offline_injected_cell_folded_and_code_toggle(page, real, shoot):
    page.goto((real["passed"] / "html" / "train.html").as_uri())
    injected = page.locator("details.nbops-injected")
    assert injected.count() == 1 and injected.get_attribute("open") is None
    assert not page.locator("details.nbops-injected .jp-InputArea").first.is_visible()
    assert_links_resolve(page)
    code = page.locator(".jp-CodeCell:not(.nbops-injected *) .jp-InputArea").first
    assert code.is_visible()
    page.click("#nbops-toggle-code")
    assert not code.is_visible()
    shoot(page, "notebook")


def test_published_single_file_opens_offline_and_shows_each_notebook(page, real, shoot):
    page.goto(real["single"].as_uri())
    visible_box(page, "#run svg.nbops-graph")
    assert_links_resolve(page)
    page.click('header nav a:text-is("train")')
    frame_box = visible_box(page, "#nb-train iframe")
    assert frame_box["height"] > 300
    assert not page.locator("#run").is_visible()
    frame = page.frame_locator("#nb-train iframe")
    assert "training diverged on purpose" in frame.locator("#nbops-failed-cell").inner_text()
    frame.locator(".nbops-banner a").click()  # the in-page link stays inside the notebook
    page.wait_for_timeout(100)
    assert page.locator("#nb-train iframe").is_visible()
    assert "training diverged" in frame.locator("#nbops-failed-cell").inner_text()
    shoot(page, "published-single-file")


@pytest.mark.parametrize("key", ["site", "run", "notebook", "train"])
def test_xss_payloads_render_as_text_and_never_run(page, hostile, key, shoot):
    page.goto(hostile[key].as_uri())
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    text = page.locator("body").inner_text()
    if key in ("site", "run"):
        assert XSS_SCRIPT in text  # the metric name, shown as text
    if key in ("run", "notebook"):
        assert 'report"><img src=x onerror="window.__xss=1">' in text  # the task name
    if key == "train":
        assert "***redacted***" in page.content()
    assert_links_resolve(page)
    shoot(page, f"xss-{key}")
