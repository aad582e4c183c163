"""The live view's pages and status file, without a build (the real build is in
tests/browser/test_live_browser.py and tests/integration/test_watch.py)."""

from __future__ import annotations

import json

import pytest

from nbops.core._errors import LedgerError
from nbops.reports._live import (
    LIVE_END,
    LIVE_START,
    LiveView,
    read_live_status,
    strip_live_marks,
    write_live_status,
)
from nbops.reports._sweep_page import render_sweep_page
from nbops.sweeps._runner import new_trial

RUN = "20260101T000000000000Z-aaaaaa"


def _record() -> dict:
    trial = {**new_trial(1, {"alpha": 1}), "status": "running"}
    return {"schema_version": 1, "name": "s1", "id": "s1@2026-11-28T00:00:00Z",
            "created_at": "2026-11-28T00:00:00Z", "pipeline": "pipeline.yaml",
            "sampler": {"kind": "grid", "seed": 0},
            "space": {"alpha": {"kind": "grid", "values": [1, 2]}}, "fixed": {},
            "objective": {"metric": "score", "direction": "maximize"}, "budget": 2,
            "workers": 1, "trials": [trial], "best": None}


def test_the_sweep_page_reloads_itself_only_while_live() -> None:
    live = render_sweep_page(_record(), live=True)
    assert live.count('<meta http-equiv="refresh" content="2">') == 1
    assert 'id="nbops-live" data-state="running"' in live and "This sweep is running" in live
    done = render_sweep_page(_record())
    assert "refresh" not in done and "nbops-live" not in done
    assert strip_live_marks(live).count(LIVE_START) == 0


def test_a_status_file_that_breaks_its_schema_is_never_written(tmp_path) -> None:
    with pytest.raises(LedgerError, match="live status of run .* is invalid"):
        write_live_status(tmp_path, {"schema_version": 1, "run_id": RUN, "state": "done"})
    assert not (tmp_path / "live.json").exists()
    (tmp_path / "live.json").write_text('{"schema_version": 2}')
    assert read_live_status(tmp_path) is None  # a reader ignores what it cannot trust


def _manifest() -> dict:
    task = {"status": "not_run", "duration_s": None, "upstream": [], "source": {"path": "a.py",
            "hash": None}, "products": {}, "notebook": None, "produced_by": None,
            "metrics": {}, "artifacts": [], "error": None}
    return {"run_id": RUN, "status": "running", "project": "p", "started_at": "x",
            "command": ["ploomber", "build"], "tasks": {"a": dict(task), "b": {
                **task, "upstream": ["a"]}}, "metrics": {}, "params": {}, "env": {},
            "provenance": {}}


def test_live_view_follows_states_and_ends_without_refresh(tmp_path) -> None:
    run_dir = tmp_path / "reports" / "runs" / RUN
    run_dir.mkdir(parents=True)
    states = {"a": "running", "b": "waiting"}
    view = LiveView(run_dir, _manifest(), lambda: dict(states), site=False)
    view.start()
    try:
        page = (run_dir / "index.html").read_text()
        assert LIVE_START in page and LIVE_END in page and "(running)" in page
        status = read_live_status(run_dir)
        assert status is not None and status["tasks"]["a"]["state"] == "running"
        assert not status["final"] and "started_at" in status["tasks"]["a"]
        states["a"] = "executed"
        view._update(dict(states))  # what the thread does every half second
        status = read_live_status(run_dir)
        assert status is not None and status["tasks"]["a"].keys() == {
            "state", "started_at", "finished_at"}
    finally:
        view.closing()
    assert read_live_status(run_dir)["state"] == "closing"  # type: ignore[index]
    view.end("interrupted")  # no reports step ran: the page is rendered once more, final
    page = (run_dir / "index.html").read_text()
    assert LIVE_START not in page and "(interrupted)" in page
    final = json.loads((run_dir / "live.json").read_text())
    assert final["final"] and final["state"] == "interrupted"


def test_end_strips_the_marks_of_the_closing_page(tmp_path) -> None:
    run_dir = tmp_path / "runs" / RUN
    run_dir.mkdir(parents=True)
    view = LiveView(run_dir, _manifest(), lambda: {"a": "executed", "b": "executed"},
                    site=False)
    closing_page = (f"<html><head>{LIVE_START}<meta http-equiv=\"refresh\">{LIVE_END}</head>"
                    f"<body>{LIVE_START}<div data-state=\"closing\"></div>{LIVE_END}"
                    "<p>verdict: succeeded</p></body></html>")
    (run_dir / "index.html").write_text(closing_page)
    view.end("succeeded")
    assert (run_dir / "index.html").read_text() == \
        "<html><head></head><body><p>verdict: succeeded</p></body></html>"


def test_without_a_live_view_the_closing_page_loses_its_marks_only_when_final(tmp_path) -> None:
    from nbops.reports._live import end_page

    marked = f"<p>{LIVE_START}<meta http-equiv=\"refresh\">{LIVE_END}verdict</p>"
    (tmp_path / "index.html").write_text(marked)
    end_page(tmp_path, "interrupted")  # its verdict was never recorded: still not final
    assert (tmp_path / "index.html").read_text() == marked
    end_page(tmp_path, "gated")
    assert (tmp_path / "index.html").read_text() == "<p>verdict</p>"


def test_an_idle_build_writes_its_status_at_once_and_its_page_and_site_at_the_end(
        tmp_path) -> None:
    """Nothing will run (a no-op build): no running page or site render at the start."""
    reports = tmp_path / "reports"
    run_dir = reports / "runs" / RUN
    run_dir.mkdir(parents=True)
    view = LiveView(run_dir, _manifest(), lambda: {"a": "skipped", "b": "skipped"},
                    idle=True)
    view.start()
    try:
        status = read_live_status(run_dir)
        assert status is not None and status["state"] == "running" and not status["final"]
        assert status["tasks"]["a"]["state"] == "skipped"
        assert not (run_dir / "index.html").exists()
        assert not (reports / "index.html").exists()
    finally:
        view.closing()
    view.end("succeeded")  # no reports step ran: the page is rendered once, final
    page = (run_dir / "index.html").read_text()
    assert LIVE_START not in page and "(succeeded)" in page
    assert read_live_status(run_dir)["final"]  # type: ignore[index]
    assert (reports / "index.html").is_file()
