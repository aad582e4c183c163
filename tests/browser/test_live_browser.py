"""The live view in a real browser: a build's run page refreshes itself while the build runs
and stops at the end; the site shows the run as running until it is final; the compare
page overlays two runs' learning curves."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))

from ledger_helpers import (  # noqa: E402
    BIN,
    add_learning_curve,
    env,
    make_project,
    manifests,
    wait_until_sleeping,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _poll(read, wanted, timeout: float = 120.0):
    """``read()`` until ``wanted(value)``; a page reloading itself meanwhile is retried."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = read()
            if wanted(value):
                return value
        except Error:  # the page was between two loads
            pass
        time.sleep(0.2)
    raise AssertionError(f"still {value!r} after {timeout} s")


def _task_status(tab, task: str) -> str:
    return str(tab.locator(f'#tasks tr[data-task="{task}"] td:nth-child(2)').inner_text())


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return add_learning_curve(make_project(tmp_path_factory.mktemp("live")))


def test_the_run_page_follows_the_build_then_stops_refreshing(project, page, browser) -> None:
    build = subprocess.Popen([str(BIN / "ploomber"), "build", "--env--sleep_s", "4"],
                             cwd=project, env=env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_until_sleeping(project)
        run_id = manifests(project)[-1]["run_id"]
        assert manifests(project)[-1]["status"] == "running"
        run_page = project / "reports" / "runs" / run_id / "index.html"
        page.goto(run_page.as_uri())
        assert page.locator("#nbops-live").get_attribute("data-state") == "running"
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        assert "(running)" in page.title()
        _poll(lambda: _task_status(page, "make_data"), lambda s: s == "running")
        assert _task_status(page, "evaluate") == "waiting"
        # the site lists the run, as running, while it runs
        site = page.context.new_page()
        site.goto((project / "reports" / "index.html").as_uri())
        row = site.locator(f'#runs tr[data-run="{run_id}"]')
        assert row.get_attribute("data-status") == "running"
        site.close()
        # nobody reloads the page: it updates itself as tasks end
        _poll(lambda: _task_status(page, "make_data"), lambda s: s == "executed")
    finally:
        _, err = build.communicate(timeout=300)
    assert build.returncode == 0, err[-3000:]
    _poll(lambda: page.locator("#nbops-live").count(), lambda n: n == 0)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert "(succeeded)" in page.title()
    assert [_task_status(page, t) for t in ("make_data", "train", "evaluate")] == [
        "executed"] * 3
    assert page.locator("#curves svg.nbops-curve polyline.curve").count() == 1
    page.evaluate("window.nbopsStill = true")  # a reload would drop it
    time.sleep(5)  # more than two refresh periods
    assert page.evaluate("window.nbopsStill === true")
    site = page.context.new_page()
    site.goto((project / "reports" / "index.html").as_uri())
    assert site.locator(f'#runs tr[data-run="{run_id}"]').get_attribute("data-status") \
        == "succeeded"
    site.close()


def test_the_compare_page_overlays_two_runs_learning_curves(project, page) -> None:
    done = subprocess.run([str(BIN / "ploomber"), "build", "--env--seed", "8"], cwd=project,
                          env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = (m["run_id"] for m in manifests(project)[-2:])
    page.goto((project / "reports" / "compare.html").as_uri() + f"?runs={a},{b}")
    lines = page.locator('#compare-curves svg.nbops-curve[data-metric="loss"] polyline.curve')
    _poll(lines.count, lambda n: n == 2, timeout=30)
    assert [lines.nth(i).get_attribute("data-run") for i in range(2)] == [a, b]
    assert lines.nth(0).get_attribute("points") != lines.nth(1).get_attribute("points")
    assert [lines.nth(i).get_attribute("data-points") for i in range(2)] == ["5", "5"]
