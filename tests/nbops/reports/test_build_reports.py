"""End to end: a real `ploomber build` renders its run page, notebook pages and the site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reports_fixture import built_outputs, built_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project after one passing build and one failing build."""
    return built_project(tmp_path_factory.getbasetemp() / "reports-build")


def _runs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())


def test_every_build_renders_its_pages_and_the_site(built):
    runs = _runs(built)
    assert len(runs) == 2
    site = (built / "reports" / "index.html").read_text("utf-8")
    for run in runs:
        assert (run / "index.html").is_file()
        assert f'href="runs/{run.name}/index.html"' in site
    passing = runs[0]
    for task in ("make_data", "train", "evaluate"):
        page = (passing / "html" / f"{task}.html").read_text("utf-8")
        assert '<details class="nbops-injected">' in page, task
    train = (passing / "html" / "train.html").read_text("utf-8")
    assert "train_mean" in train and "nbops-banner" not in train.split("</style>")[-1]
    run_page = (passing / "index.html").read_text("utf-8")
    assert 'data-task="train" data-status="executed"' in run_page
    assert re.search(r"<td>train_mean</td>", run_page)


def test_failed_build_shows_the_failed_cell(built):
    failed = _runs(built)[1]
    run_page = (failed / "index.html").read_text("utf-8")
    assert 'class="banner"' in run_page and 'href="html/train.html#nbops-failed-cell"' in run_page
    assert 'data-task="make_data" data-status="skipped"' in run_page
    assert 'data-task="train" data-status="failed"' in run_page
    page = (failed / "html" / "train.html").read_text("utf-8")
    assert 'href="#nbops-failed-cell"' in page and 'id="nbops-failed-cell"' in page
    assert "training diverged on purpose" in page


def test_secret_parameters_never_reach_the_reports(built):
    for page in (built / "reports").rglob("*.html"):
        assert "not-a-real-token" not in page.read_text("utf-8"), page


def test_every_build_ends_with_its_summary(built):
    """After Ploomber's own table or error: run, status, metrics, failed cell, page."""
    passing_run, failed_run = (run.name for run in _runs(built))
    ok, failing = built_outputs()
    tail = ok.stderr.rstrip().splitlines()
    assert tail[-1] == f"run page: reports/runs/{passing_run}/index.html"
    head = next(i for i, line in enumerate(tail) if line.startswith("nbops: run "))
    assert tail[head].startswith(f"nbops: run {passing_run} succeeded (")
    assert any(line.split()[:2] == ["train_mean", "5.65"] for line in tail[head:])
    failed_tail = failing.stderr.rstrip().splitlines()
    assert failed_tail[-1] == f"run page: reports/runs/{failed_run}/index.html"
    assert (f"failed cell: reports/runs/{failed_run}/html/train.html#nbops-failed-cell"
            in failed_tail)
    assert any(line.startswith(f"nbops: run {failed_run} failed (") for line in failed_tail)
    # the summary comes after Ploomber's own last words
    assert "DAG build failed" not in "\n".join(failed_tail[-6:])
