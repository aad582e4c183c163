"""The live view of a build: a run page that refreshes itself until the run ends.

Static files only. When a build opens its run, :class:`LiveView` writes the run
page in its ``running`` state (a ``<meta http-equiv="refresh">``: reloading
works from ``file://`` as well as served, where a script's ``fetch`` of a
status file would not) and ``live.json`` beside it (``live_status.schema.json``).
A thread of the build process reads the tasks' states twice a second and, when
one changed, rewrites both, each atomically. The reports step renders the
closing run's full page still marked live (the verdict is not final until the
ledger writes it); only after the ledger wrote the final status does
:meth:`LiveView.end` write ``live.json`` as final and remove the refresh, so no
page ever stops refreshing, nor ``nbops watch`` stops following, before the
run is finished. A build killed with ``kill -9`` leaves a page that keeps
refreshing and says when it was last updated; ``nbops watch`` sees the dead pid.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbops.contracts import LiveStatus, LiveTask, Manifest, RunStatus
from nbops.core import (
    LedgerError,
    atomic_write_json,
    atomic_write_text,
    crash_point,
    schema_errors,
    utc_now_iso,
)

log = logging.getLogger("nbops")

#: The status file beside the run page.
LIVE_FILE = "live.json"
#: Seconds between two reloads of a live page.
REFRESH_S = 2
#: Seconds between two looks at the tasks' states.
POLL_S = 0.5
_FINAL_STATUSES: tuple[RunStatus, ...] = ("succeeded", "failed", "gated", "alert", "interrupted")
_FINAL: dict[str, RunStatus] = {status: status for status in _FINAL_STATUSES}
#: What a page rendered while the run is not final carries, between these markers.
LIVE_START, LIVE_END = "<!--nbops:live-->", "<!--/nbops:live-->"
_LIVE_BLOCK = re.compile(re.escape(LIVE_START) + ".*?" + re.escape(LIVE_END), re.DOTALL)


def read_live_status(run_dir: Path) -> LiveStatus | None:
    """The run's ``live.json`` (None when absent, unreadable or not valid)."""
    import json

    try:
        status = json.loads((Path(run_dir) / LIVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if schema_errors(status, "live_status"):
        return None
    checked: LiveStatus = status  # json.loads gives Any: the schema check above makes it one
    return checked


def write_live_status(run_dir: Path, status: LiveStatus) -> None:
    """Replace ``live.json`` atomically (checked against its schema first)."""
    errors = schema_errors(status, "live_status")
    if errors:
        raise LedgerError(f"The live status of run {status.get('run_id')} is invalid "
                          f"({errors[0]})", "report this as a bug in nbops")
    atomic_write_json(Path(run_dir) / LIVE_FILE, status)
    crash_point("live.status_written")


def live_marks(state: str, updated_at: str, what: str = "run") -> dict[str, str]:
    """The head and banner a page carries while its run (or sweep) is ``state``."""
    from nbops.reports._templates_env import render_string

    head = (f'{LIVE_START}<meta http-equiv="refresh" content="{REFRESH_S}">'
            f'<meta name="nbops-live" content="{state}">{LIVE_END}')
    banner = render_string(
        '{{ start }}<div class="banner live" id="nbops-live" data-state="{{ state }}" '
        'role="status">This {{ what }} is {{ state }}{% if state == "closing" %}: its '
        "notebooks are done and the verdict below is not final until the ledger records it"
        "{% endif %}. This page reloads itself every {{ refresh }} s until the {{ what }} "
        "ends (last update {{ updated_at }} UTC).</div>{{ end }}", start=_markup(LIVE_START),
        end=_markup(LIVE_END), state=state, refresh=REFRESH_S, what=what,
        updated_at=updated_at.replace("T", " ")[:19])
    return {"head": head, "banner": banner}


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)


def strip_live_marks(page_html: str) -> str:
    """The page without its refresh and live banner (the run is final)."""
    return _LIVE_BLOCK.sub("", page_html)


def end_page(run_dir: Path, status: str) -> None:
    """A run that had no live view ended: its closing page (the reports step marks it live)
    loses the marks once ``status`` is final; an interrupted run's page keeps them (its
    verdict was never recorded)."""
    page = Path(run_dir) / "index.html"
    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return
    if status in _FINAL and status != "interrupted" and LIVE_START in text:
        atomic_write_text(page, strip_live_marks(text))
        crash_point("live.page_final")


class LiveView:
    """The live page and ``live.json`` of one build's run, kept current by a thread.

    Args:
        run_dir: ``reports/runs/<run_id>``.
        manifest: the run's manifest as opened (``running``; tasks not run yet).
        states: returns ``{task: state}`` now (``nbops.adapters.build_task_states``).
        site: render the site index at the start and the end (not in a sweep's
            trials, whose sweep renders it once).
        idle: no task will run (every one is up to date): ``live.json`` is written
            at the start as always, but the page and the site only at the end. Such
            a run is over in a moment, and rendering both twice was about a third
            of the CPU nbops' hooks add to a no-op build.
    """

    def __init__(self, run_dir: Path, manifest: Manifest,
                 states: Callable[[], dict[str, str]], *, site: bool = True,
                 idle: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.manifest = manifest
        self.states = states
        self.site = site
        self.idle = idle
        self.tasks: dict[str, LiveTask] = {}
        self.state: RunStatus = "running"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Write the running page and status, render the site, start following the tasks
        (an idle build's: the status only)."""
        self._update(self.states(), page=not self.idle)
        if self.site and not self.idle:
            self._render_site()
        self._thread = threading.Thread(target=self._follow, name="nbops-live", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self._update(self.states(), page=not self.idle)
            except Exception as exc:  # the build matters more than its live page
                log.warning("nbops: the live page of run %s stopped updating (%s: %s)",
                            self.run_dir.name, type(exc).__name__, exc)
                return

    def closing(self) -> None:
        """The notebooks are done: stop the thread, record the tasks' last states."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.state = "closing"
        self._update(self.states(), force=True, page=False)

    def end(self, status: str) -> None:
        """The ledger wrote the final ``status``: final ``live.json``, page without refresh.

        A page the reports step rendered (closing, marked live) loses its marks; a
        page still in its running state (no reports step ran: the close was cut
        short) is rendered once more with the final status.
        """
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self.state = _FINAL.get(status, "interrupted")
        page = self.run_dir / "index.html"
        try:
            text = page.read_text(encoding="utf-8")
        except OSError:
            text = ""
        self._write_status()
        if 'data-state="closing"' in text and self.state != "interrupted":
            atomic_write_text(page, strip_live_marks(text))
        else:
            self._write_page()
        crash_point("live.page_final")
        if self.site:
            self._render_site()

    def _update(self, states: dict[str, str], *, force: bool = False, page: bool = True) -> None:
        with self._lock:
            now = utc_now_iso()
            changed = force
            for name, state in states.items():
                entry = self.tasks.setdefault(name, {"state": "waiting"})
                if entry["state"] == state:
                    continue
                changed = True
                if state == "running":
                    entry["started_at"] = now
                elif state in ("executed", "failed"):
                    entry.setdefault("started_at", now)
                    entry["finished_at"] = now
                entry["state"] = state
            if not changed and (self.run_dir / LIVE_FILE).is_file():
                return
            self._write_status()
            if page:
                self._write_page()

    def _write_status(self) -> None:
        write_live_status(self.run_dir, {
            "schema_version": 1, "run_id": self.manifest["run_id"], "state": self.state,
            "final": self.state in _FINAL, "updated_at": utc_now_iso(), "pid": os.getpid(),
            "tasks": {name: {**entry} for name, entry in self.tasks.items()}})

    def _state_of(self, task: str) -> str | None:
        entry = self.tasks.get(task)
        return entry["state"] if entry is not None else None

    def _write_page(self) -> None:
        from nbops.reports._run_page import run_page_html

        view: Manifest = {**self.manifest, "status": self.state}
        states = {name: _page_status(self._state_of(name), task["status"])
                  for name, task in self.manifest["tasks"].items()}
        live = None if self.state in _FINAL else live_marks(self.state, utc_now_iso())
        atomic_write_text(self.run_dir / "index.html",
                          run_page_html(view, self.run_dir, live=live, task_states=states))
        crash_point("live.page_written")

    def _render_site(self) -> None:
        from nbops.reports._render import render_site

        try:
            render_site(self.run_dir.parent.parent)
        except Exception as exc:  # the site is a view; the run goes on
            log.warning("nbops: the site index could not be rendered (%s: %s)",
                        type(exc).__name__, exc)


def _page_status(state: str | None, recorded: Any) -> str:
    """A task's status on the live page (the graph's and table's words)."""
    if state in ("executed", "skipped", "failed", "not_run", "running"):
        return str(state)
    return "waiting" if state == "waiting" else str(recorded or "not_run")
