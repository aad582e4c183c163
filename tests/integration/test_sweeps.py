"""``nbops sweep`` end to end on a tiny two-step pipeline: real builds, real ledger, real kills.

The fixture project (tests/notebooks/sweep_project) has ``prepare`` (depends on
``rows``) and ``fit`` (depends on ``alpha``, ``depth``, ``fail``; logs ``score``,
best at alpha 0.3, depth 1). One project is shared by the whole module; each test
uses its own sweep name, so later sweeps also show what reuse across sweeps does.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from ledger_helpers import BIN, env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "notebooks" / "sweep_project"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweeps") / "project"
    shutil.copytree(FIXTURE, root)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "fixture"], cwd=root, check=True)
    return root


def sweep(root: Path, *args: str, crash_at: str | None = None, signal_name: str = "KILL"
          ) -> subprocess.CompletedProcess[str]:
    extra = {} if crash_at is None else {"NBOPS_CRASH_AT": crash_at,
                                         "NBOPS_CRASH_SIGNAL": signal_name}
    return subprocess.run([str(BIN / "nbops"), "sweep", *args], cwd=root, env=env(**extra),
                          capture_output=True, text=True, timeout=900,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def record(root: Path, name: str) -> dict:
    return json.loads((root / "reports" / "sweeps" / name / "sweep.json").read_text())


def manifests(root: Path) -> list[dict]:
    runs = root / "reports" / "runs"
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*/manifest.json"))]


def runs_of(root: Path, name: str) -> list[dict]:
    return [m for m in manifests(root) if (m.get("tags") or {}).get("sweep") == name]


OUTPUT: dict[str, str] = {}  # what each module-level sweep printed


@pytest.fixture(scope="module")
def grid4(project: Path) -> dict:
    done = sweep(project, "--grid", "alpha=0.1,0.3", "--grid", "depth=1,2",
                 "--objective", "score", "--name", "grid4")
    assert done.returncode == 0, done.stdout + done.stderr
    OUTPUT["grid4"] = done.stdout
    return record(project, "grid4")


def test_a_grid_records_one_ordinary_tagged_run_per_trial(project: Path, grid4: dict) -> None:
    assert [t["status"] for t in grid4["trials"]] == ["succeeded"] * 4
    assert [t["params"] for t in grid4["trials"]] == [
        {"alpha": 0.1, "depth": 1}, {"alpha": 0.1, "depth": 2},
        {"alpha": 0.3, "depth": 1}, {"alpha": 0.3, "depth": 2}]
    runs = runs_of(project, "grid4")
    assert sorted(m["run_id"] for m in runs) == sorted(t["run_id"] for t in grid4["trials"])
    for trial in grid4["trials"]:
        manifest = next(m for m in runs if m["run_id"] == trial["run_id"])
        assert manifest["status"] == "succeeded"
        assert manifest["tags"] == {"sweep": "grid4", "sweep_id": grid4["id"],
                                    "trial": trial["number"]}
        assert manifest["params"]["fit"]["alpha"] == trial["params"]["alpha"]
        assert manifest["metrics"]["score"] == trial["value"]


def test_the_upstream_step_executes_once(project: Path, grid4: dict) -> None:
    runs = runs_of(project, "grid4")
    executed = [name for m in runs for name, task in m["tasks"].items()
                if task["status"] == "executed"]
    assert executed.count("prepare") == 1
    assert executed.count("fit") == 4


def reuse_reports(root: Path, name: str) -> list[dict]:
    state = root / ".nbops" / "sweeps" / name
    return [json.loads((state / f"trial-{t['number']}.reuse.json").read_text())
            for t in record(root, name)["trials"]]


def test_each_later_trials_dag_is_loaded_while_the_trial_before_builds(
        project: Path, grid4: dict) -> None:
    # the first has no trial before it; the records above are those of these very trials
    assert [r["loaded_ahead"] for r in reuse_reports(project, "grid4")] == [
        False, True, True, True]


def test_each_trial_tells_its_server_how_many_trials_follow(project: Path,
                                                           grid4: dict) -> None:
    # what the trial server's warm-up is worth: nothing after the last trial, and this
    # pipeline (no registry: section) never measures a model
    state = project / ".nbops" / "sweeps" / "grid4"
    plans = [json.loads((state / f"trial-{t['number']}.request.json").read_text())
             for t in grid4["trials"]]
    assert [(p["later_trials"], p["measures_model"]) for p in plans] == [
        (3, False), (2, False), (1, False), (0, False)]


def test_the_best_trial_is_reported_on_the_terminal_and_the_page(project: Path,
                                                                 grid4: dict) -> None:
    best = grid4["best"]
    assert best["number"] == 3 and best["value"] == max(t["value"] for t in grid4["trials"])
    page = (project / "reports" / "sweeps" / "grid4" / "index.html").read_text()
    assert f"runs/{best['run_id']}/index.html" in page
    assert "<svg" in page and ">alpha</text>" in page and ">score</text>" in page
    # rendered live (reloading itself) while trials ran; the last render, after them, is still
    assert 'http-equiv="refresh"' not in page and "nbops-live" not in page
    assert page.index("<td class=\"num\">3</td>") < page.index("<td class=\"num\">1</td>")


def test_the_terminal_shows_each_trial_start_and_end_then_a_leaderboard(
        project: Path, grid4: dict) -> None:
    """It printed nothing while a trial ran, and only the best trial at the end."""
    lines = OUTPUT["grid4"].splitlines()
    for trial in grid4["trials"]:
        params = f"alpha={trial['params']['alpha']} depth={trial['params']['depth']}"
        started = lines.index(f"trial {trial['number']}/4 started: {params}")
        ended = next(i for i, line in enumerate(lines)
                     if line.startswith(f"trial {trial['number']}/4 {params}: succeeded"))
        assert started < ended
    board = lines[lines.index("leaderboard (best first):") + 1:]
    assert board[0].split() == ["#", "trial", "alpha", "depth", "score", "verdict", "run"]
    ranked = sorted(grid4["trials"], key=lambda t: (-t["value"], t["number"]))
    for rank, (line, trial) in enumerate(zip(board[1:5], ranked, strict=True), 1):
        cells = line.split()
        assert cells[:2] == [str(rank), str(trial["number"])], line
        assert cells[-2:] == ["succeeded", trial["run_id"]], line
        assert float(cells[4]) == pytest.approx(trial["value"], abs=1e-4)
    page = project / "reports" / "sweeps" / "grid4" / "index.html"
    assert board[5] == f"sweep page: {page}"
    site = (project / "reports" / "index.html").read_text()
    assert '<a href="sweeps/grid4/index.html">grid4</a>' in site  # reachable from the site


def test_same_seed_same_trials_and_metrics(project: Path, grid4: dict) -> None:
    args = ["--param", "alpha=float:0.0:0.6", "--grid", "depth=1,2", "--trials", "3",
            "--seed", "11", "--objective", "score"]
    first = sweep(project, *args, "--name", "seeded-a")
    second = sweep(project, *args, "--name", "seeded-b")
    other = sweep(project, *args[:-4], "--seed", "12", "--objective", "score",
                  "--name", "seeded-c")
    assert first.returncode == second.returncode == other.returncode == 0, first.stderr
    a, b, c = (record(project, name) for name in ("seeded-a", "seeded-b", "seeded-c"))
    assert a["sampler"] == {"kind": "random", "seed": 11}
    assert [(t["params"], t["value"]) for t in a["trials"]] == \
        [(t["params"], t["value"]) for t in b["trials"]]
    assert [t["params"] for t in a["trials"]] != [t["params"] for t in c["trials"]]


def test_products_of_an_earlier_trial_are_restored_from_the_store(project: Path,
                                                                  grid4: dict) -> None:
    # rows=200 makes `prepare` run again and overwrites its working product; going back
    # to rows=100 restores grid4's products (verified) instead of executing `prepare`.
    done = sweep(project, "--grid", "rows=200,100", "--grid", "alpha=0.2",
                 "--objective", "score", "--name", "rows")
    assert done.returncode == 0, done.stdout + done.stderr
    first, second = record(project, "rows")["trials"]
    assert "prepare" in first["executed"]
    assert second["reused"] == ["prepare"] and second["executed"] == ["fit"]
    assert "restored prepare" in done.stdout
    # the second trial's DAG was loaded while the first built (and overwrote `prepare`'s
    # product): which tasks were up to date was still read when the second started
    assert [r["loaded_ahead"] for r in reuse_reports(project, "rows")] == [False, True]


def test_parallel_trials_build_in_their_own_slots(project: Path, grid4: dict) -> None:
    products = project / ".nbops" / "products"
    before = {p.name: p.read_bytes() for p in products.iterdir() if p.is_file()}
    done = sweep(project, "--grid", "rows=300", "--grid", "alpha=0.1,0.2,0.3,0.4",
                 "--objective", "score", "--name", "parallel", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    trials = record(project, "parallel")["trials"]
    assert [t["status"] for t in trials] == ["succeeded"] * 4
    assert {t["ran_on"] for t in trials} == {"here"}
    executed = [name for t in trials for name in t["executed"]]
    assert executed.count("prepare") == 1 and executed.count("fit") == 4
    # the project's own working products were not touched; each slot has its own
    assert {p.name: p.read_bytes() for p in products.iterdir() if p.is_file()} == before
    slots = project / ".nbops" / "sweeps" / "parallel" / "slots"
    assert sorted(p.name for p in slots.iterdir()) == ["1", "2"]
    for slot in slots.iterdir():
        assert (slot / "project" / ".nbops" / "products" / "model.json").is_file()
    # trials 2-4 ran two at a time
    spans = [(t["started_at"], t["finished_at"]) for t in trials[1:]]
    assert any(a[0] < b[1] and b[0] < a[1] for a in spans for b in spans if a is not b)


@pytest.mark.parametrize("point, signal_name", [
    ("sweep.trial_started#3", "KILL"),   # trial 3 marked running, its build not started
    ("sweep.trial_built#3", "KILL"),     # trial 3's run finished, its outcome not recorded
    ("sweep.trial_recorded#3", "KILL"),  # trial 3 recorded, trial 4 not started
    ("sweep.trial_started#3", "INT"),    # Ctrl-C
])
def test_a_killed_sweep_resumes_without_redoing_or_duplicating_a_trial(
        project: Path, grid4: dict, point: str, signal_name: str) -> None:
    name = f"kill-{point.split('.')[1].split('#')[0]}-{signal_name.lower()}"
    args = ["--grid", "alpha=0.15,0.25", "--grid", "depth=3,4", "--objective", "score"]
    killed = sweep(project, *args, "--name", name, crash_at=point, signal_name=signal_name)
    assert killed.returncode != 0
    before = {t["number"]: t["run_id"] for t in record(project, name)["trials"]
              if t["status"] == "succeeded"}
    assert sorted(before) == [1, 2, 3] if point.startswith("sweep.trial_recorded") \
        else sorted(before) == [1, 2]

    resumed = sweep(project, "--resume", name)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = record(project, name)
    assert [t["status"] for t in final["trials"]] == ["succeeded"] * 4
    assert {n: final["trials"][n - 1]["run_id"] for n in before} == before  # not redone
    finished = [m for m in runs_of(project, name) if m["status"] == "succeeded"]
    assert sorted(m["tags"]["trial"] for m in finished) == [1, 2, 3, 4]  # no duplicate
    assert len({t["run_id"] for t in final["trials"]}) == 4


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(project: Path, grid4: dict) -> None:
    done = sweep(project, "--grid", "fail=true,false", "--grid", "alpha=0.05",
                 "--objective", "score", "--name", "failing")
    assert done.returncode == 0, done.stdout + done.stderr
    failed, passed = record(project, "failing")["trials"]
    assert failed["status"] == "failed" and failed["value"] is None
    assert "this trial fails on purpose" in failed["note"]
    assert passed["status"] == "succeeded" and passed["value"] is not None
    assert record(project, "failing")["best"]["number"] == 2


@pytest.mark.parametrize("args, message", [
    (["--grid", "alpah=0.1,0.2"], "Sweep parameter 'alpah' is not a key of env.yaml"),
    (["--grid", "depth=2,deep"], "Sweep value 'deep' for 'depth' is not an int"),
    (["--grid", "depth="], "--grid depth has no values"),
    (["--grid", "depth=1,2", "--objective", "accuracy"],
     "No run of this project logged the objective metric 'accuracy'"),
    (["--param", "alpha=float:0.1:0.5"], "The grid sampler cannot enumerate"),
    (["--grid", "depth=1", "--grid", "depth=2"], "is given more than once"),
    (["--grid", "depth=1", "--env--depth", "2"], "'depth' is both varied and fixed"),
    (["--grid", "depth=1", "--env--alpha", "high"], "Sweep value 'high' for 'alpha'"),
    (["--param", "alpha=float:0.5:0.1", "--sampler", "random", "--trials", "2"],
     "--param alpha has bounds 0.5..0.1"),
    (["--resume", "nosuchsweep"], "No sweep named 'nosuchsweep'"),
    (["--grid", "depth=1", "--name", "grid4"], "A sweep named 'grid4' already exists"),
])
def test_bad_input_is_one_sentence_before_any_trial_runs(project: Path, grid4: dict,
                                                         args: list[str], message: str) -> None:
    before = len(manifests(project))
    objective = [] if "--objective" in args or "--resume" in args else ["--objective", "score"]
    if "--param" in args and "--sampler" not in args:
        args = [*args, "--sampler", "grid"]
    done = sweep(project, *args, *objective)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert len(manifests(project)) == before


def test_trials_run_as_tasks_on_a_dask_cluster(project: Path, grid4: dict) -> None:
    done = sweep(project, "--grid", "rows=400", "--grid", "depth=1,2,3",
                 "--objective", "score", "--name", "on-dask", "--workers", "2",
                 "--dask", "local")
    assert done.returncode == 0, done.stdout + done.stderr
    trials = record(project, "on-dask")["trials"]
    assert [t["status"] for t in trials] == ["succeeded"] * 3
    executed = [name for t in trials for name in t["executed"]]
    assert executed.count("prepare") == 1 and executed.count("fit") == 3
    runs = runs_of(project, "on-dask")
    assert sorted(m["tags"]["trial"] for m in runs) == [1, 2, 3]
    # each trial's build ran in a Dask worker process, not as a child of the sweep
    assert all(t["ran_on"].startswith("dask worker tcp://127.0.0.1:") for t in trials)


def test_nbops_watch_follows_a_sweep_started_by_another_process(project: Path) -> None:
    import time

    started = subprocess.Popen([str(BIN / "nbops"), "sweep", "--grid", "alpha=0.2,0.4",
                                "--objective", "score", "--name", "watched"], cwd=project,
                               env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    page = project / "reports" / "sweeps" / "watched" / "index.html"
    deadline = time.monotonic() + 120
    while not page.is_file():  # rendered, live, as the first trial starts
        assert time.monotonic() < deadline and started.poll() is None
        time.sleep(0.1)
    assert 'http-equiv="refresh"' in page.read_text()  # the sweep is running
    watched = subprocess.run([str(BIN / "nbops"), "watch"], cwd=project, env=env(),
                             capture_output=True, text=True, timeout=600)
    out, err = started.communicate(timeout=600)
    assert started.returncode == 0, out + err
    assert watched.returncode == 0, watched.stdout + watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[0] == "Watching sweep watched (Ctrl-C stops watching; the sweep goes on)"
    finished = record(project, "watched")["trials"]
    for trial in finished:
        assert any(f"trial {trial['number']}  {trial['status']}: {trial['run_id']}" in line
                   for line in lines), watched.stdout
    assert "leaderboard (best first):" in lines
    assert lines[-1] == "sweep page: reports/sweeps/watched/index.html"
    assert 'http-equiv="refresh"' not in page.read_text()  # the sweep ended: still
