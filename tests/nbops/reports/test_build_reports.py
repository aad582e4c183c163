"""End to end: a real `ploomber build` renders its run page, notebook pages and the site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reports_fixture import built_project

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
