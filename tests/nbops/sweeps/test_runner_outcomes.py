"""The sweep runner's decisions without Ploomber: a launcher standing in for the trial's build
writes the run a build would have written (a real manifest in a real ledger, tagged as the
request says), and the runner records each trial's outcome, line and best from the ledger."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
from synthetic_runs import manifest_for  # noqa: E402  (the run-ledger tests' manifest)

from nbops.core import ConfigError, LockTimeout  # noqa: E402
from nbops.core._ids import new_run_id  # noqa: E402
from nbops.core._project import Project  # noqa: E402
from nbops.runs._persist import save_manifest  # noqa: E402
from nbops.sweeps import _sweep_record as records  # noqa: E402
from nbops.sweeps._runner import (  # noqa: E402
    TrialBuild,
    _describe,
    _heal,
    _outcome,
    build_trial,
    find_run,
    new_trial,
    run_sweep,
    trial_log,
    trial_overrides,
    write_request,
)

Outcome = tuple[str, dict[str, float], str | None]  # status, metrics, failure message


def _record(trials: int = 2, workers: int = 1, direction: str = "maximize") -> dict[str, Any]:
    return {"schema_version": 1, "name": "s1", "id": "s1@2026-11-28T00:00:00Z",
            "created_at": "2026-11-28T00:00:00Z", "pipeline": "pipeline.yaml",
            "sampler": {"kind": "grid", "seed": 0},
            "space": {"lr": {"kind": "grid", "values": [0.1, 0.2, 0.3]}},
            "fixed": {"epochs": 3, "lr": 9.0},
            "objective": {"metric": "auc", "direction": direction}, "budget": trials,
            "workers": workers,
            "trials": [new_trial(n, {"lr": n / 10}) for n in range(1, trials + 1)],
            "best": None}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path)
    records.sweep_dir(project, "s1").mkdir(parents=True)
    return project


class Ledger:
    """Writes the runs the launcher below reports, one clock second apart (the newest run
    has the greatest id)."""

    clock = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, project: Project) -> None:
        self.project = project

    def run(self, tags: dict[str, Any], status: str = "succeeded",
            metrics: dict[str, float] | None = None, failure: str | None = None,
            executed: bool = True) -> str:
        Ledger.clock += timedelta(seconds=1)
        run_id = new_run_id(Ledger.clock)
        manifest = manifest_for(run_id, status, tags=tags)
        manifest["metrics"] = dict(metrics or {})
        manifest["tasks"]["a"]["metrics"] = dict(metrics or {})
        manifest["tasks"]["b"] = {**manifest["tasks"]["a"], "status": "skipped"}
        if not executed:
            manifest["tasks"]["a"]["status"] = "restored"
        if failure is not None:
            manifest["failure"] = {"task": "a", "cell_index": None, "ename": "E",
                                   "evalue": "x", "message": failure}
        save_manifest(self.project, manifest)
        return run_id


def launcher(ledger: Ledger, outcomes: Callable[[int], Outcome | None],
             seen: list[dict[str, Any]]) -> Callable[..., tuple[int, str]]:
    """A trial's build: the run it leaves (None: the build died before opening one)."""

    def launch(request: Path, cwd: Path, log_path: Path,
               upcoming: Path | None = None) -> tuple[int, str]:
        data = json.loads(request.read_text("utf-8"))
        assert log_path == request.with_suffix("").with_suffix(".log")  # trial-N.log
        ahead = json.loads(upcoming.read_text("utf-8")) if upcoming and upcoming.is_file() else None
        seen.append({**data, "cwd": cwd, "upcoming": upcoming, "ahead": ahead})
        outcome = outcomes(data["tags"]["trial"])
        if outcome is None:
            return 3, "nowhere"
        status, metrics, failure = outcome
        ledger.run(data["tags"], status, metrics, failure)
        Path(data["report"]).write_text(json.dumps({"reused": ["load"]}), "utf-8")
        return (1 if status == "failed" else 0), "slot"

    return launch


def test_overrides_are_the_fixed_ones_then_the_trials_and_never_a_registration() -> None:
    record = _record()
    trial = record["trials"][0]
    assert trial_overrides(record, trial, has_registry=False) == {"epochs": 3, "lr": 0.1}
    assert trial_overrides(record, trial, has_registry=True) == {
        "epochs": 3, "lr": 0.1, "registry.promotion": "never"}


def test_the_request_names_the_pipeline_the_overrides_the_tags_and_the_report(
    project: Project
) -> None:
    record = _record()
    trial = record["trials"][1]
    log = trial_log(project, record, trial)
    assert log == project.state_dir / "sweeps" / "s1" / "trial-2.log"
    request = write_request(project, record, trial, {"lr": 0.2, "flag": True}, log,
                            extra_tags={"purpose": "register"})
    assert request == log.with_suffix(".request.json")
    assert json.loads(request.read_text("utf-8")) == {
        "root": str(project.root), "pipeline": "pipeline.yaml",
        "overrides": {"lr": "0.2", "flag": "True"},
        "tags": {"sweep": "s1", "sweep_id": "s1@2026-11-28T00:00:00Z", "trial": 2,
                 "purpose": "register"},
        "report": str(log.with_suffix(".reuse.json")),
        "later_trials": 0, "measures_model": False}  # no ``ahead``: nothing comes after
    elsewhere = write_request(project, record, trial, {}, log, root=project.root / "slot")
    assert json.loads(elsewhere.read_text("utf-8"))["root"] == str(project.root / "slot")


def test_a_trials_build_reports_its_run_what_it_restored_and_where_it_ran(
    project: Project
) -> None:
    record, ledger, seen = _record(), Ledger(project), []
    trial = record["trials"][0]
    log = trial_log(project, record, trial)
    log.parent.mkdir(parents=True)
    log.with_suffix(".reuse.json").write_text('{"reused": ["stale"]}', "utf-8")
    launch = launcher(ledger, lambda n: ("succeeded", {"auc": 0.7}, None), seen)
    build = build_trial(project, record, trial, {"lr": 0.1}, log, launch=launch,
                        upcoming=Path("next.json"), root=project.root / "slot")
    assert (build.returncode, build.reused, build.ran_on) == (0, ["load"], "slot")
    assert isinstance(build.duration_s, float) and build.duration_s == round(build.duration_s, 3)
    assert 0 <= build.duration_s < 60
    assert seen[0]["root"] == str(project.root / "slot")
    assert build.summary is not None and build.summary["metrics"] == {"auc": 0.7}
    assert build.duration_s >= 0
    assert seen[0]["cwd"] == project.root / "slot" and seen[0]["upcoming"] == Path("next.json")
    died = build_trial(project, record, trial, {}, log, launch=launcher(
        ledger, lambda n: None, seen))
    assert (died.returncode, died.reused, died.ran_on) == (3, [], "nowhere")  # report removed
    assert died.summary is not None  # the trial's earlier run is still the newest one


def test_find_run_takes_the_newest_run_of_that_sweep_trial_and_purpose(project: Project) -> None:
    record, ledger = _record(), Ledger(project)
    tags = {"sweep": "s1", "sweep_id": record["id"]}
    first = ledger.run({**tags, "trial": 1})
    newest = ledger.run({**tags, "trial": 1})
    ledger.run({**tags, "trial": 2})
    ledger.run({**tags, "sweep_id": "other", "trial": 1})
    register = ledger.run({**tags, "trial": 1, "purpose": "register"})
    ledger.run({"trial": 1})
    assert first < newest
    assert find_run(project, record, 1)["run_id"] == newest
    assert find_run(project, record, 1, "register")["run_id"] == register
    assert find_run(project, record, 3) is None


def _trial_after(project: Project, outcome: Outcome | None,
                 record: dict[str, Any] | None = None) -> dict[str, Any]:
    record = record or _record()
    trial = record["trials"][0]
    summary = None
    if outcome is not None:
        status, metrics, failure = outcome
        Ledger(project).run({"sweep_id": record["id"], "trial": 1}, status, metrics, failure)
        summary = find_run(project, record, 1)
    _outcome(project, record, trial, TrialBuild(2, 1.5, ["load"], summary, "slot"),
             Path("trial-1.log"))
    return trial


def test_a_succeeded_trial_records_its_value_and_the_tasks_it_executed(project: Project) -> None:
    trial = _trial_after(project, ("succeeded", {"auc": 0.75}, None))
    assert {k: trial[k] for k in ("status", "value", "note", "executed", "reused", "ran_on",
                                  "duration_s")} == {
        "status": "succeeded", "value": 0.75, "note": None, "executed": ["a"],
        "reused": ["load"], "ran_on": "slot", "duration_s": 1.5}
    assert trial["run_id"] and trial["finished_at"]


def test_a_build_without_a_finished_run_is_a_failed_trial_pointing_at_its_log(
    project: Project
) -> None:
    trial = _trial_after(project, None)
    assert (trial["status"], trial["run_id"], trial["value"], trial["executed"]) == (
        "failed", None, None, [])
    assert trial["note"] == ("the build exited with code 2 without finishing a run; "
                             "see trial-1.log")
    for status in ("running", "closing", "interrupted"):
        trial = _trial_after(project, (status, {"auc": 0.9}, None))
        assert trial["status"] == "failed" and trial["value"] is None
        assert trial["run_id"] == find_run(project, _record(), 1)["run_id"]


def test_failed_and_gated_trials_keep_their_value_and_say_why(project: Project) -> None:
    failed = _trial_after(project, ("failed", {"auc": 0.6}, "task 'a' failed: E: x"))
    assert (failed["status"], failed["value"], failed["note"]) == (
        "failed", 0.6, "task 'a' failed: E: x")
    unexplained = _trial_after(project, ("failed", {}, None))
    assert unexplained["note"] == "the build failed; see trial-1.log"
    gated = _trial_after(project, ("gated", {"auc": 0.8}, None))
    assert (gated["status"], gated["value"], gated["note"]) == (
        "gated", 0.8, "quality gates failed (the trial's metrics are still recorded)")


def test_a_run_without_the_objective_metric_is_a_failed_trial_naming_what_it_logged(
    project: Project
) -> None:
    trial = _trial_after(project, ("succeeded", {"loss": 0.1, "acc": 0.9}, None))
    assert (trial["status"], trial["value"]) == ("failed", None)
    assert trial["note"] == "the run logged no metric 'auc' (it logged: acc, loss)"
    trial = _trial_after(project, ("succeeded", {}, None))
    assert trial["note"] == "the run logged no metric 'auc' (it logged: none)"


def test_the_trial_line_says_everything_about_it() -> None:
    trial = new_trial(2, {"lr": 0.1, "depth": 3})
    trial.update(status="succeeded", value=0.123456, run_id="r1", duration_s=2.25,
                 executed=["fit", "score"], reused=["load", "split"])
    assert _describe(trial, "auc", 5) == (
        "trial 2/5 lr=0.1 depth=3: succeeded, auc 0.1235 (run r1, 2.2 s, executed fit, score, "
        "restored load, split)")
    trial.update(status="failed", value=None, run_id=None, executed=[], reused=[],
                 note="it broke")
    assert _describe(trial, "auc", 5) == (
        "trial 2/5 lr=0.1 depth=3: failed, auc - (run -, 2.2 s, executed nothing); it broke")


def test_healing_redoes_running_trials_without_a_final_run_and_takes_finished_ones(
    project: Project
) -> None:
    record = _record(trials=3)
    ledger = Ledger(project)
    for trial in record["trials"]:
        trial.update(status="running", started_at="2026-11-28T00:00:01Z")
    record["trials"][2].update(status="succeeded", value=0.5, run_id="kept")
    tags = {"sweep_id": record["id"]}
    ledger.run({**tags, "trial": 1}, "succeeded", {"auc": 0.9})
    ledger.run({**tags, "trial": 2}, "interrupted", {"auc": 0.8})
    _heal(project, record)
    one, two, three = record["trials"]
    assert (one["status"], one["value"]) == ("succeeded", 0.9)
    assert (two["status"], two["run_id"], two["value"], two["started_at"], two["note"]) == (
        "pending", None, None, None, "interrupted; run again on resume")
    assert (three["status"], three["run_id"]) == ("succeeded", "kept")
    assert records.read(project, "s1")["trials"] == record["trials"]  # written


def _sweep(project: Project, record: dict[str, Any], outcomes: Callable[[int], Outcome | None],
           **options: Any) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    records.write(project, record, "test")
    lines: list[str] = []
    seen: list[dict[str, Any]] = []
    final = run_sweep(project, "s1", options.pop("has_registry", True), lines.append,
                      launch=launcher(Ledger(project), outcomes, seen), **options)
    return final, lines, seen


def test_a_sweep_runs_every_pending_trial_in_order_and_records_the_best(
    project: Project
) -> None:
    values = {1: 0.7, 2: 0.9, 3: 0.8}
    changes: list[int] = []
    final, lines, seen = _sweep(project, _record(trials=3),
                                lambda n: ("succeeded", {"auc": values[n]}, None),
                                on_change=lambda r: changes.append(len(r["trials"])))
    assert [t["status"] for t in final["trials"]] == ["succeeded"] * 3
    assert final["best"] == {"number": 2, "run_id": final["trials"][1]["run_id"], "value": 0.9}
    assert records.read(project, "s1") == final
    assert [line.partition(":")[0] for line in lines] == [
        "trial 1/3 started", "trial 1/3 lr=0.1", "trial 2/3 started", "trial 2/3 lr=0.2",
        "trial 3/3 started", "trial 3/3 lr=0.3"]
    assert lines[0] == "trial 1/3 started: lr=0.1"
    assert len(changes) == 6  # each trial starting, then recorded
    assert [s["overrides"] for s in seen] == [
        {"epochs": "3", "lr": str(v), "registry.promotion": "never"} for v in (0.1, 0.2, 0.3)]
    assert [s["upcoming"] and s["upcoming"].name for s in seen] == [
        "trial-2.request.json", "trial-3.request.json", None]  # the next trial, prepared
    assert seen[0]["ahead"]["overrides"] == {"epochs": "3", "lr": "0.2",
                                             "registry.promotion": "never"}
    assert lines[1] == (f"trial 1/3 lr=0.1: succeeded, auc 0.7000 (run "
                        f"{final['trials'][0]['run_id']}, {final['trials'][0]['duration_s']:.1f} "
                        "s, executed a, restored load)")
    assert all(s["cwd"] == project.root for s in seen)
    assert (project.reports_dir / "index.html").is_file()  # rendered once, at the end
    assert _lock_is_free(records.state_dir(project, "s1") / "lock")


def test_a_sweep_goes_on_after_failed_trials_and_finishes_none_twice(project: Project) -> None:
    final, lines, _ = _sweep(project, _record(trials=2), lambda n: None, has_registry=False)
    assert [t["status"] for t in final["trials"]] == ["failed", "failed"]
    log = records.state_dir(project, "s1") / "trial-2.log"
    assert final["trials"][1]["note"] == (
        f"the build exited with code 3 without finishing a run; see {log}")
    assert final["best"] is None
    again, more, seen = _sweep(project, final, lambda n: ("succeeded", {"auc": 1.0}, None))
    assert more == [] and seen == [] and again["trials"] == final["trials"]


def test_the_first_run_without_the_objective_stops_the_sweep_with_what_it_logged(
    project: Project
) -> None:
    with pytest.raises(ConfigError) as caught:
        _sweep(project, _record(trials=3), lambda n: ("succeeded", {"acc": 0.9}, None))
    assert str(caught.value).split(". Fix:")[0].rstrip(".") == (
        "Trial 1 of sweep 's1' logged no metric 'auc' (it logged: acc)")
    assert caught.value.fix == "start a new sweep whose --objective is one of those"
    stored = records.read(project, "s1")
    assert [t["status"] for t in stored["trials"]] == ["failed", "pending", "pending"]


def test_a_missing_metric_after_a_scored_trial_does_not_stop_the_sweep(
    project: Project
) -> None:
    final, _, _ = _sweep(project, _record(trials=3), lambda n: (
        "succeeded", {"auc": 0.5} if n == 1 else {"acc": 0.9}, None))
    assert [t["status"] for t in final["trials"]] == ["succeeded", "failed", "failed"]


def test_a_failed_build_that_logged_no_metric_does_not_stop_the_sweep(project: Project) -> None:
    final, _, _ = _sweep(project, _record(trials=2), lambda n: ("failed", {}, "boom"))
    assert [t["note"] for t in final["trials"]] == ["boom", "boom"]


def test_parallel_workers_run_the_first_trial_alone_then_share_the_rest(
    project: Project
) -> None:
    (project.root / "pipeline.yaml").write_text("tasks: []\n", "utf-8")
    final, lines, seen = _sweep(project, _record(trials=5, workers=2),
                                lambda n: ("succeeded", {"auc": n / 10}, None))
    assert [t["status"] for t in final["trials"]] == ["succeeded"] * 5
    slots = records.state_dir(project, "s1") / "slots"
    assert seen[0]["cwd"] == slots / "1" / project.name  # alone, in the first slot
    assert {s["cwd"] for s in seen} <= {slots / "1" / project.name, slots / "2" / project.name}
    assert all(s["upcoming"] is None for s in seen)
    assert all(s["root"] == str(s["cwd"]) for s in seen)  # each request names its slot
    assert final["best"]["number"] == 5


def test_each_durable_step_of_a_sweep_is_a_named_crash_point(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = tmp_path / "points.log"
    monkeypatch.setenv("NBOPS_CRASH_POINTS_LOG", str(points))
    _sweep(project, _record(trials=2), lambda n: ("succeeded", {"auc": 0.5}, None))
    passed = [p for p in points.read_text("utf-8").split() if p.startswith("sweep.")]
    assert passed == ["sweep.healed"] + [
        "sweep.trial_started", "sweep.trial_built", "sweep.trial_recorded"] * 2


_FLOCK = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
          "fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if sys.argv[2] == 'try' else 0)); "
          "print('held', flush=True); sys.stdin.read()")


def _lock_is_free(path: Path) -> bool:
    """Whether another process can take the sweep's lock at once."""
    probe = subprocess.run([sys.executable, "-c", _FLOCK, str(path), "try"], input="",
                           capture_output=True, text=True, timeout=60)
    return probe.stdout == "held\n"


def test_a_sweep_already_running_elsewhere_is_refused_at_once(project: Project) -> None:
    records.write(project, _record(), "test")
    lock = records.state_dir(project, "s1") / "lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", _FLOCK, str(lock), "wait"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert not _lock_is_free(lock)
        seen: list[dict[str, Any]] = []
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            run_sweep(project, "s1", True, print, launch=launcher(Ledger(project),
                                                                  lambda n: None, seen))
        assert time.monotonic() - started < 5 and seen == []  # no wait, no trial
    finally:
        holder.communicate("", timeout=60)
    assert _lock_is_free(lock)


def test_a_tpe_sweep_asks_its_study_for_each_trial_and_tells_it_the_result(
    project: Project
) -> None:
    pytest.importorskip("optuna")
    import optuna

    from nbops.sweeps._samplers import TpeSampler
    from nbops.sweeps._space import Dimension

    record = {**_record(trials=3, direction="minimize"), "trials": [],
              "sampler": {"kind": "tpe", "seed": 7},
              "space": {"lr": {"kind": "float", "low": 0.01, "high": 1.0, "log": True},
                        "depth": {"kind": "int", "low": 2, "high": 9, "log": False}}}
    final, _, seen = _sweep(project, record, lambda n: (
        "succeeded", {"auc": 0.5 + n / 10}, None) if n != 2 else ("gated", {"auc": 0.1}, None))
    assert final["trials"][1]["value"] == 0.1  # recorded, but not told as a result
    assert [t["sampler_trial"] for t in final["trials"]] == [0, 1, 2]
    assert [t["number"] for t in final["trials"]] == [1, 2, 3]
    assert final["best"]["number"] == 1  # minimize
    journal = records.state_dir(project, "s1") / "optuna.journal"
    study = optuna.load_study(study_name=record["id"],
                              storage=optuna.storages.JournalStorage(
                                  optuna.storages.journal.JournalFileBackend(str(journal))))
    states = optuna.trial.TrialState
    assert [(t.state, t.value) for t in study.trials] == [
        (states.COMPLETE, 0.6), (states.FAIL, None), (states.COMPLETE, 0.8)]
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    # the same seed, space and results propose the same trials
    replay = TpeSampler(project.root / "replay", record["id"],
                        [Dimension("lr", "float", low=0.01, high=1.0, log=True),
                         Dimension("depth", "int", low=2, high=9)], seed=7,
                        direction="minimize", budget=3)
    for trial in final["trials"]:
        number, params = replay.ask()
        assert params == trial["params"]
        replay.tell(number, trial["value"] if trial["status"] == "succeeded" else None)
    assert [t.state for t in replay.study.trials] == [t.state for t in study.trials]
    assert replay.study.sampler._n_startup_trials == 2
    assert all(s["upcoming"] is None for s in seen)  # the next TPE trial is not known yet


def test_a_new_trial_is_pending_with_nothing_recorded() -> None:
    assert new_trial(4, {"lr": 0.1}) == {
        "number": 4, "params": {"lr": 0.1}, "status": "pending", "run_id": None, "value": None,
        "started_at": None, "finished_at": None, "duration_s": None, "reused": [],
        "executed": [], "note": None, "sampler_trial": None}


def test_an_unfinished_run_leaves_a_failed_trial_without_its_earlier_results(
    project: Project
) -> None:
    record = _record()
    trial = record["trials"][0]
    for status in ("running", "closing", "interrupted"):
        trial.update(value=0.5, executed=["a"], note=None)
        build = TrialBuild(1, 1.0, [], {"status": status, "run_id": "r9", "metrics": {}})
        _outcome(project, record, trial, build, Path("t.log"))
        assert (trial["status"], trial["run_id"], trial["value"], trial["executed"]) == (
            "failed", "r9", None, [])
        assert trial["note"] == ("the build exited with code 1 without finishing a run; see "
                                 "t.log")


def test_a_finished_trial_drops_an_earlier_note(project: Project) -> None:
    record = _record()
    record["trials"][0]["note"] = "interrupted; run again on resume"
    trial = _trial_after(project, ("succeeded", {"auc": 0.75}, None), record)
    assert trial["note"] is None


def test_healing_reads_every_running_trial_and_marks_its_step(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _record(trials=3)
    record["trials"][0].update(status="succeeded", value=0.5, run_id="kept")
    for trial in record["trials"][1:]:
        trial.update(status="running", reused=["load"])
    Ledger(project).run({"sweep_id": record["id"], "trial": 2}, "failed", {"auc": 0.1})
    points = tmp_path / "points.log"
    monkeypatch.setenv("NBOPS_CRASH_POINTS_LOG", str(points))
    _heal(project, record)
    first, second, third = record["trials"]
    assert (first["status"], first["run_id"]) == ("succeeded", "kept")
    assert (second["status"], second["value"], second["reused"], second["duration_s"]) == (
        "failed", 0.1, ["load"], 0.0)
    assert second["note"] == "the build failed; see -"  # the killed sweep's log is unknown
    assert third["status"] == "pending"
    assert points.read_text("utf-8").split() == ["sweep.healed"]


def test_the_metric_stop_names_what_was_logged_even_with_parentheses(
    project: Project
) -> None:
    with pytest.raises(ConfigError) as caught:
        _sweep(project, _record(trials=2), lambda n: ("succeeded", {"f1(macro)": 0.9}, None))
    assert str(caught.value).split(". Fix:")[0] == (
        "Trial 1 of sweep 's1' logged no metric 'auc' (it logged: f1(macro))")
