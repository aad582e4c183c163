"""Run a sweep's trials: each one an ordinary ``ploomber build`` recorded by the ledger.

For every trial the runner

1. renders the DAG with the trial's ``--env--`` overrides (nothing runs) and asks
   the ledger which tasks are unchanged against an earlier run
   (:mod:`nbops.runs._reuse`); their products are restored from the content store,
   verified, so Ploomber skips them;
2. marks the trial ``running`` in the sweep record (a durable step);
3. runs ``ploomber build`` with the overrides, the sweep's fixed overrides,
   ``registry.promotion: never`` (a trial never registers or promotes a model; its
   gates are still evaluated and recorded) and ``NBOPS_RUN_TAGS`` naming the sweep
   and the trial, so the run can be found in the index;
4. reads the run's status and objective metric from the run index and records the
   trial's outcome (a durable step). A failed or gated trial is recorded and the
   sweep goes on.

A sweep holds its own lock (``.nbops/sweeps/<name>/lock``), so the same sweep never
runs twice at once; each build still takes the project lock, so trials never write
the same working products at the same time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.contracts import JSONObject, RunSummary, SweepRecord, SweepTrial
from nbops.core import (
    ConfigError,
    NbopsError,
    Project,
    ProjectLock,
    crash_point,
    option_value,
    utc_now_iso,
)
from nbops.runs import list_runs, load_manifest
from nbops.sweeps import _sweep_record as records
from nbops.sweeps._launchers import Launcher, release_server, run_here
from nbops.sweeps._samplers import TpeSampler
from nbops.sweeps._slots import slot_root
from nbops.sweeps._space import Dimension

if TYPE_CHECKING:
    from nbops.sweeps._trial_build import TrialRequest

logger = logging.getLogger("nbops")

Echo = Callable[[str], None]
OnChange = Callable[[SweepRecord], object]


@dataclass(frozen=True)
class TrialsAhead:
    """What comes after a trial, for the trial server that forks it: how many trials of
    the sweep are still to run, and whether their builds measure a model (the pipeline
    has a ``registry:`` section). Its warm-up serves only those (none after the last)."""

    later_trials: int
    measures_model: bool


@dataclass
class TrialBuild:
    """What one trial's build did."""

    returncode: int
    duration_s: float
    reused: list[str]
    summary: RunSummary | None
    ran_on: str = "here"


def trial_overrides(record: SweepRecord, trial: SweepTrial,
                    has_registry: bool) -> JSONObject:
    """Every ``--env--`` override of a trial: fixed ones, the trial's, and no registration."""
    overrides = {**record["fixed"], **trial["params"]}
    if has_registry:
        overrides["registry.promotion"] = "never"
    return overrides


def find_run(project: Project, record: SweepRecord, number: int,
             purpose: str | None = None) -> RunSummary | None:
    """The newest run in the index tagged with this sweep and trial ``number``.

    ``purpose`` tells the trial's own runs (None) from a later build of the same
    settings, such as registering the best trial (``"register"``).
    """
    tagged = [s for s in list_runs(project)
              if (s.get("tags") or {}).get("sweep_id") == record["id"]
              and (s.get("tags") or {}).get("trial") == number
              and (s.get("tags") or {}).get("purpose") == purpose]
    return max(tagged, key=lambda s: s["run_id"]) if tagged else None


def trial_log(project: Project, record: SweepRecord, trial: SweepTrial) -> Path:
    """Where a trial's build writes its output (its request and reuse report sit beside)."""
    return records.state_dir(project, record["name"]) / f"trial-{trial['number']}.log"


def write_request(project: Project, record: SweepRecord, trial: SweepTrial,
                  overrides: Mapping[str, Any], log_path: Path,
                  extra_tags: Mapping[str, Any] | None = None,
                  root: Path | None = None, ahead: TrialsAhead | None = None) -> Path:
    """Write the request file of a trial's build (:mod:`nbops.sweeps._trial_build`).

    ``ahead``: what the trial server that forks it may prepare for the trials after it
    (:func:`nbops.runtime.trial_server.worth_warming_up`); None: nothing comes after.
    """
    tags = {"sweep": record["name"], "sweep_id": record["id"], "trial": trial["number"],
            **(extra_tags or {})}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    request = log_path.with_suffix(".request.json")
    ahead = ahead or TrialsAhead(later_trials=0, measures_model=False)
    payload: TrialRequest = {
        "root": str(root or project.root), "pipeline": record["pipeline"],
        "overrides": {key: option_value(value) for key, value in overrides.items()},
        "tags": tags, "report": str(log_path.with_suffix(".reuse.json")),
        "later_trials": ahead.later_trials, "measures_model": ahead.measures_model}
    request.write_text(json.dumps(payload), encoding="utf-8")
    return request


def build_trial(project: Project, record: SweepRecord, trial: SweepTrial,
                overrides: Mapping[str, Any], log_path: Path,
                extra_tags: Mapping[str, Any] | None = None,
                root: Path | None = None, launch: Launcher = run_here,
                upcoming: Path | None = None, ahead: TrialsAhead | None = None) -> TrialBuild:
    """Restore what did not change, then run the trial's ``ploomber build``.

    Both happen in a child process (:mod:`nbops.sweeps._trial_build`) working in
    ``root``: the project itself, or a slot of it. ``upcoming``: the request file of
    the trial that will build next in the same place, if known (the launcher may
    prepare it meanwhile). ``ahead``: the trials still to come (:func:`write_request`).
    """
    started = time.monotonic()
    report = log_path.with_suffix(".reuse.json")
    report.unlink(missing_ok=True)
    request = write_request(project, record, trial, overrides, log_path, extra_tags, root,
                            ahead)
    returncode, where = launch(request, root or project.root, log_path, upcoming)
    reused = json.loads(report.read_text())["reused"] if report.is_file() else []
    return TrialBuild(returncode, round(time.monotonic() - started, 3), reused,
                      find_run(project, record, trial["number"],
                               (extra_tags or {}).get("purpose")), where)


def _outcome(project: Project, record: SweepRecord, trial: SweepTrial,
             build: TrialBuild, log_path: Path) -> None:
    """Fill in ``trial`` from its build."""
    metric = record["objective"]["metric"]
    trial.update({"finished_at": utc_now_iso(), "duration_s": build.duration_s,
                  "reused": build.reused, "ran_on": build.ran_on})
    summary = build.summary
    if summary is None or summary["status"] in ("running", "closing", "interrupted"):
        trial.update({"status": "failed",
                      "run_id": None if summary is None else summary["run_id"],
                      "value": None, "executed": [],
                      "note": f"the build exited with code {build.returncode} without "
                              f"finishing a run; see {log_path}"})
        return
    manifest = load_manifest(project, summary["run_id"])
    trial["executed"] = [name for name, task in manifest["tasks"].items()
                         if task["status"] == "executed"]
    value = summary["metrics"].get(metric)
    trial.update({"status": summary["status"], "run_id": summary["run_id"], "value": value,
                  "note": None})
    if summary["status"] == "failed":
        failure = manifest.get("failure")
        trial["note"] = (failure.get("message") if failure else None) or \
            f"the build failed; see {log_path}"
    elif summary["status"] == "gated":
        trial["note"] = "quality gates failed (the trial's metrics are still recorded)"
    elif value is None:
        logged = ", ".join(sorted(summary["metrics"])) or "none"
        trial.update({"status": "failed", "note": f"the run logged no metric {metric!r} "
                                                  f"(it logged: {logged})"})


def _heal(project: Project, record: SweepRecord) -> None:
    """Trials left ``running`` by a killed sweep: take their run if it finished, else redo them."""
    for trial in record["trials"]:
        if trial["status"] != "running":
            continue
        summary = find_run(project, record, trial["number"])
        if summary is not None and summary["status"] in records.FINAL:
            _outcome(project, record, trial, TrialBuild(0, 0.0, trial.get("reused", []), summary),
                     Path("-"))
        else:
            trial.update({"status": "pending", "run_id": None, "value": None,
                          "started_at": None, "note": "interrupted; run again on resume"})
    records.write(project, record, "sweep.healed")


def _update_best(record: SweepRecord) -> None:
    best = records.best_trial(record)
    if best is None or best["run_id"] is None or best["value"] is None:
        record["best"] = None  # a succeeded trial has both; best_trial checked the value
        return
    record["best"] = {"number": best["number"], "run_id": best["run_id"], "value": best["value"]}


def _describe(trial: SweepTrial, metric: str, budget: int) -> str:
    params = " ".join(f"{k}={v}" for k, v in trial["params"].items())
    value = "-" if trial["value"] is None else f"{trial['value']:.4f}"
    reused = f", restored {', '.join(trial['reused'])}" if trial.get("reused") else ""
    executed = ", ".join(trial.get("executed") or []) or "nothing"
    line = (f"trial {trial['number']}/{budget} {params}: {trial['status']}, {metric} {value} "
            f"(run {trial['run_id'] or '-'}, {trial['duration_s']:.1f} s, executed {executed}"
            f"{reused})")
    return line + (f"; {trial['note']}" if trial.get("note") else "")


def _next_trial(record: SweepRecord, tpe: TpeSampler | None) -> SweepTrial | None:
    pending: list[SweepTrial] = [t for t in record["trials"] if t["status"] == "pending"]
    if pending:
        return pending[0]
    if tpe is None or len(record["trials"]) >= record["budget"]:
        return None
    number, params = tpe.ask()
    trial = new_trial(len(record["trials"]) + 1, params)
    trial["sampler_trial"] = number
    record["trials"].append(trial)
    return trial


def new_trial(number: int, params: JSONObject) -> SweepTrial:
    """A pending trial."""
    return {"number": number, "params": params, "status": "pending", "run_id": None,
            "value": None, "started_at": None, "finished_at": None, "duration_s": None,
            "reused": [], "executed": [], "note": None, "sampler_trial": None}


def tpe_for(project: Project, record: SweepRecord) -> TpeSampler | None:
    """The TPE sampler of a ``tpe`` sweep (None for grid and random)."""
    if record["sampler"]["kind"] != "tpe":
        return None
    space = [Dimension.from_dict(key, dim) for key, dim in record["space"].items()]
    return TpeSampler(records.state_dir(project, record["name"]) / "optuna.journal",
                      record["id"], space, record["sampler"]["seed"],
                      record["objective"]["direction"], record["budget"])


class _Sweep:
    """A running sweep: its record, sampler and lock, shared by its worker threads."""

    def __init__(self, project: Project, record: SweepRecord, has_registry: bool,
                 echo: Echo, on_change: OnChange | None, launch: Launcher) -> None:
        self.project = project
        self.launch = launch
        self.record = record
        self.has_registry = has_registry
        self.echo = echo
        self.on_change = on_change
        self.tpe = tpe_for(project, record)
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def take(self) -> SweepTrial | None:
        """The next trial to run, marked ``running`` (a durable step), or None."""
        with self.lock:
            if self.error is not None:
                return None
            trial = _next_trial(self.record, self.tpe)
            if trial is not None:
                trial.update({"status": "running", "started_at": utc_now_iso()})
                records.write(self.project, self.record, "sweep.trial_started")
                params = " ".join(f"{k}={v}" for k, v in trial["params"].items())
                self.echo(f"trial {trial['number']}/{self.record['budget']} started: {params}")
                if self.on_change is not None:  # the live sweep page shows it running
                    self.on_change(self.record)
            return trial

    def ahead(self) -> TrialsAhead:
        """The trials no worker has taken yet (TPE's are not planned yet: the budget counts)."""
        with self.lock:
            taken = sum(1 for t in self.record["trials"] if t["status"] != "pending")
            return TrialsAhead(later_trials=max(0, int(self.record["budget"]) - taken),
                               measures_model=self.has_registry)

    def upcoming(self) -> Path | None:
        """The request file of the trial after the one just taken, written now (a single
        worker only; None when it is not known yet, as with TPE)."""
        with self.lock:
            pending = [t for t in self.record["trials"] if t["status"] == "pending"]
            if not pending:
                return None
            after = pending[0]
            return write_request(self.project, self.record, after,
                                 trial_overrides(self.record, after, self.has_registry),
                                 trial_log(self.project, self.record, after))

    def execute(self, trial: SweepTrial, root: Path | None,
                upcoming: Path | None = None) -> None:
        """Build ``trial`` (in ``root``, a slot, when given) and record its outcome."""
        log_path = trial_log(self.project, self.record, trial)
        build = build_trial(self.project, self.record, trial,
                            trial_overrides(self.record, trial, self.has_registry), log_path,
                            root=root, launch=self.launch, upcoming=upcoming,
                            ahead=self.ahead())
        crash_point("sweep.trial_built")
        with self.lock:
            _outcome(self.project, self.record, trial, build, log_path)
            if self.tpe is not None and trial["sampler_trial"] is not None:
                self.tpe.tell(trial["sampler_trial"],
                              trial["value"] if trial["status"] == "succeeded" else None)
            _update_best(self.record)
            records.write(self.project, self.record, "sweep.trial_recorded")
            self.echo(_describe(trial, self.record["objective"]["metric"],
                                self.record["budget"]))
            if self.on_change is not None:
                self.on_change(self.record)
            _stop_if_metric_never_logged(self.record, trial)

    def worker(self, root: Path | None) -> None:
        """Run trials until none is left (or another worker failed).

        The only worker (``root`` None: trials in the project, one after another) also
        names the next trial, whose DAG the launcher may load while this one builds.
        """
        try:
            while (trial := self.take()) is not None:
                self.execute(trial, root, self.upcoming() if root is None else None)
        except BaseException as exc:
            with self.lock:
                self.error = self.error or exc


def run_sweep(project: Project, name: str, has_registry: bool, echo: Echo,
              on_change: OnChange | None = None, launch: Launcher = run_here) -> SweepRecord:
    """Run every trial of sweep ``name`` that is not finished yet; return the final record.

    With ``workers`` > 1 in the record, trials build side by side, each worker in
    its own slot (:mod:`nbops.sweeps._slots`), as children of this process or, with
    a :class:`~nbops.sweeps._launchers.DaskLauncher`, as tasks on a Dask cluster. The
    first trial of a sweep that has none finished runs alone first, so that the
    others can restore its upstream products instead of computing them once per
    worker.

    Raises:
        LockTimeout: the sweep is already running.
        ConfigError: the first finished trial did not log the objective metric.
    """
    lock = ProjectLock(records.state_dir(project, name) / "lock", purpose=f"sweep {name}")
    lock.acquire(timeout=0)
    try:
        record = records.read(project, name)
        _heal(project, record)
        sweep = _Sweep(project, record, has_registry, echo, on_change, launch)
        workers = record["workers"]
        if workers == 1:
            sweep.worker(None)
        else:
            state = records.state_dir(project, name)
            slots = [slot_root(project, state, k) for k in range(1, workers + 1)]
            if not records.finished(record) and (first := sweep.take()) is not None:
                sweep.execute(first, slots[0])
                release_server()  # its warmed-up trial server goes to the first worker
            threads = [threading.Thread(target=sweep.worker, args=(slot,), daemon=True,
                                        name=f"nbops-sweep-{k}")
                       for k, slot in enumerate(slots, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if sweep.error is not None:
            raise sweep.error
        return record
    finally:
        try:
            render_site_index(project)  # the trials left it to the sweep (also when stopped)
        finally:
            lock.release()


def render_site_index(project: Project) -> None:
    """Render ``reports/index.html`` once for all the runs the trials added.

    Trials build with :data:`nbops.reports.SITE_DEFERRED_ENV` set: each renders
    its own run's pages (part of the run), not the site index (a view of the ledger).
    A failure is logged with how to retry: every run is recorded either way.
    """
    from nbops.reports import render_site

    try:
        render_site(project.reports_dir)
    except (NbopsError, OSError, ValueError) as exc:
        logger.error("nbops: the site index could not be rendered (%s); every trial's run "
                     "is recorded. Fix the cause, then run `nbops report`.", exc)


def _stop_if_metric_never_logged(record: SweepRecord, trial: SweepTrial) -> None:
    """Stop after the first trial that ran the whole pipeline without logging the objective."""
    note = trial.get("note") or ""
    if trial["status"] == "failed" and note.startswith("the run logged no metric") and not any(
            t["value"] is not None for t in record["trials"]):
        raise ConfigError(
            f"Trial {trial['number']} of sweep {record['name']!r} logged no metric "
            f"{record['objective']['metric']!r} ({note.partition('(')[2].removesuffix(')')})",
            "start a new sweep whose --objective is one of those")
