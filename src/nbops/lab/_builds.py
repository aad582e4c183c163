"""Builds started from JupyterLab: a ``ploomber build`` child process and its progress.

The build runs in a process of its own (its own session, so closing the browser
tab, or even stopping JupyterLab, does not stop it), exactly the command a person
would type (:func:`nbops.core.build_command`): ``ploomber build [--env--KEY VALUE …]
[--partially TASK] [--force]``, so the run ledger, the gates and the reports do
what they do for any build. A job file under ``.nbops/lab/builds/`` records what
was started (the command, the planned tasks, the process id); its output goes to
the ``.log`` beside it.

Progress is read from what the build leaves on disk, never from its output:
a planned task is done once Ploomber rewrote one of its products' metadata files
(it does so after the task succeeded), running once every planned upstream task
is done, else waiting. When the process ends, the run it opened (found in the
run index by its process id) says the rest: each task's outcome and the verdict.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.contracts import RunSummary
from nbops.core import ConfigError, LedgerError, Project, SettingKey, build_command

if TYPE_CHECKING:
    from nbops.lab._answers import BuildProgress, Verdict

_OVERRIDE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")
_JOB_ID = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[a-z2-7]{6}$")
LOG_TAIL_LINES = 25


@dataclass
class BuildJob:
    """One build started from the lab (the job file's content)."""

    id: str
    started_at: float
    pid: int
    argv: list[str]
    target: str | None
    overrides: dict[str, str]
    planned: list[str]
    upstream: dict[str, list[str]]
    metadata_files: dict[str, list[str]]


def check_overrides(root: Path, overrides: Mapping[str, object]) -> dict[str, str]:
    """The ``--env--`` overrides as strings, refusing a key the env file does not have.

    Raises:
        ConfigError: a malformed or unknown key, or a value that is not text or a number.
    """
    from nbops.adapters import env_file
    from nbops.core import ProjectSettings

    path = env_file(root, build_command("ploomber"))
    settings = (ProjectSettings() if path is None
                else ProjectSettings.read(path, what=path.name, mapping_required=False))
    leaves = {key.dotted for key in settings.flat()}
    checked: dict[str, str] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not _OVERRIDE_KEY.match(key):
            raise ConfigError(f"{key!r} is not an env.yaml key",
                              "write keys as dotted names such as model.max_depth")
        if key not in leaves:
            raise ConfigError(f"env.yaml has no value {key!r} to override",
                              "pick one of the keys in env.yaml (e.g. seed, model.max_depth)")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f"the override of {key} must be text or a number",
                              f"type the value as you would after {SettingKey.parse(key).option}")
        if str(value).strip() == "":
            raise ConfigError(f"the override of {key} is empty", "type a value, or remove the row")
        checked[key] = str(value).strip()
    return checked


def _planned(states: list[Any], target: str | None, force: bool) -> list[str]:
    names = [state.name for state in states]
    if target is not None and target not in names:
        raise ConfigError(f"the pipeline has no task {target!r}",
                          f"pick one of: {', '.join(names)}")
    wanted = set(names)
    if target is not None:
        by_name = {state.name: state for state in states}
        wanted, todo = set(), [target]
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(by_name[name].upstream)
    return [s.name for s in states if s.name in wanted and (force or s.outdated)]


class BuildBoard:
    """The builds started from the lab in one project (job files, child processes)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.project = Project(self.root)
        self.folder = self.project.state_dir / "lab" / "builds"
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._final: dict[str, BuildProgress] = {}  # ended builds: their answer is settled

    def start(self, target: str | None, overrides: Mapping[str, object], force: bool = False,
              current: Callable[[], list[Any]] | None = None) -> BuildJob:
        """Check the request, then start ``ploomber build`` in the background.

        Args:
            current: the task states as they are now (the panel's cache), used to plan a
                build without overrides instead of rendering the DAG again.

        Raises:
            ConfigError: an unknown task or override key.
            LedgerError: a build is running in this project already.
        """
        from nbops.adapters import metadata_path, ploomber_command, task_states
        from nbops.core import is_locked, new_run_id, read_holder

        checked = check_overrides(self.root, overrides)
        if is_locked(self.project.lock_path):
            holder = read_holder(self.project.lock_path)
            raise LedgerError(
                f"a build is running in this project already (run {holder.get('run_id')}, "
                f"process {holder.get('pid')})",
                "wait for it to finish; the panel shows its progress",
            )
        if checked or current is None:
            states = task_states(self.root, overrides=checked)
        else:
            states = current()
        planned = _planned(states, target, force)
        argv = build_command(ploomber_command(), overrides=checked,
                             extra=[*(["--partially", target] if target is not None else []),
                                    *(["--force"] if force else [])])
        job_id = new_run_id()
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_RUN")}
        env.pop("NBOPS_PROJECT_ROOT", None)
        env.update(PLOOMBER_STATS_ENABLED="false", PLOOMBER_VERSION_CHECK_DISABLED="true")
        started = time.time()
        with open(self.folder / f"{job_id}.log", "wb") as log:
            child = subprocess.Popen(argv, cwd=self.root, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self._children[job_id] = child
        from nbops.core import redact, redact_argv

        job = BuildJob(  # the job file and the panel never hold a secret-named value
            id=job_id, started_at=started, pid=child.pid, argv=redact_argv(argv),
            target=target, overrides=redact(checked), planned=planned,
            upstream={s.name: [u for u in s.upstream if u in planned] for s in states
                      if s.name in planned},
            metadata_files={s.name: [str(metadata_path(self.root / p))
                                     for p in s.products.values()]
                            for s in states if s.name in planned},
        )
        from nbops.core import atomic_write_json

        atomic_write_json(self.folder / f"{job_id}.json", asdict(job))
        return job

    def job(self, job_id: str) -> BuildJob:
        """The job file of ``job_id``.

        Raises:
            LedgerError: no such build was started from the lab.
        """
        path = self.folder / f"{job_id}.json"
        if not _JOB_ID.match(job_id) or not path.is_file():
            raise LedgerError(f"no build {job_id!r} was started from JupyterLab here",
                              "start one from the nbops panel")
        return BuildJob(**json.loads(path.read_text(encoding="utf-8")))

    def latest(self) -> BuildJob | None:
        """The most recent build started from the lab, if any."""
        if not self.folder.is_dir():
            return None
        names = sorted(p.stem for p in self.folder.glob("*.json") if _JOB_ID.match(p.stem))
        return self.job(names[-1]) if names else None

    def _alive(self, job: BuildJob) -> bool:
        child = self._children.get(job.id)
        if child is not None:
            return child.poll() is None
        from nbops.core import pid_alive

        # started by an earlier server: the pid is ours only while the lock says so
        return pid_alive(job.pid) and _holder_pid(self.project) == job.pid

    def progress(self, job_id: str) -> BuildProgress:
        """Where build ``job_id`` is: each planned task's state, and the verdict once ended."""
        if job_id in self._final:
            return self._final[job_id]
        job = self.job(job_id)
        alive = self._alive(job)
        run = _run_of(self.project, job)
        answer: BuildProgress = {
            "id": job.id, "target": job.target, "overrides": job.overrides,
            "planned": job.planned, "running": alive,
            "elapsed_s": round(time.time() - job.started_at, 1),
            "run_id": None if run is None else run["run_id"],
        }
        if alive or (run is not None and run["status"] in ("running", "closing")):
            answer["running"] = True
            answer["tasks"] = _live_tasks(job)
            return answer
        answer["tasks"], answer["verdict"] = _ended(self.project, job, run)
        self._final[job_id] = answer
        return answer


def _holder_pid(project: Project) -> int | None:
    from nbops.core import is_locked, read_holder

    if not is_locked(project.lock_path):
        return None
    pid = read_holder(project.lock_path).get("pid")
    return pid if isinstance(pid, int) else None


def _run_of(project: Project, job: BuildJob) -> RunSummary | None:
    """The run the job's process opened: its summary in the run index (None before it opens)."""
    from nbops.runs import run_summaries

    first = time.strftime("%Y%m%dT%H%M%S", time.gmtime(job.started_at - 1))
    for summary in reversed(run_summaries(project)):
        if summary["run_id"] < first:
            return None
        if summary.get("pid") == job.pid:  # pid: optional in index lines of old runs
            return summary
    return None


def _done(job: BuildJob, task: str) -> bool:
    for path in job.metadata_files.get(task, []):
        try:
            if os.stat(path).st_mtime >= job.started_at:
                return True
        except OSError:
            continue
    return False


def _live_tasks(job: BuildJob) -> dict[str, str]:
    done = {task for task in job.planned if _done(job, task)}
    return {task: "done" if task in done
            else "running" if all(up in done for up in job.upstream.get(task, []))
            else "waiting" for task in job.planned}


_TASK_WORDS = {"executed": "done", "skipped": "skipped", "failed": "failed",
               "not_run": "not run"}


def _ended(project: Project, job: BuildJob,
           run: RunSummary | None) -> tuple[dict[str, str], Verdict]:
    """Each task's outcome and the build's verdict, once its process ended."""
    if run is None:  # refused before it opened a run (a bad override, a broken pipeline)
        return ({task: "not run" for task in job.planned},
                {"outcome": "failed", "message": _log_tail(project, job)})
    from nbops.runs import load_manifest

    manifest = load_manifest(project, run["run_id"])
    tasks = {name: _TASK_WORDS.get(entry["status"], entry["status"])
             for name, entry in manifest["tasks"].items()}
    verdict: Verdict = {"outcome": manifest["status"], "run_id": run["run_id"],
                               "duration_s": manifest["duration_s"]}
    page = project.run_dir(run["run_id"]) / "index.html"
    if page.is_file():
        verdict["run_page"] = project.relative(page)
    gates = manifest.get("gates")
    if manifest["status"] == "gated" and gates is not None:
        verdict["failed_gates"] = [
            {"name": r["name"], "value": r.get("value"), "threshold": r.get("threshold"),
             "detail": r.get("detail")}
            for r in gates["results"] if r["verdict"] == "failed"]
    failure = manifest.get("failure")
    if manifest["status"] == "failed":
        verdict["message"] = (failure.get("message") if failure else None) \
            or _log_tail(project, job)
        failed_task = failure.get("task") if failure else None
        if failure and failed_task is not None and failed_task in manifest["tasks"]:
            notebook = manifest["tasks"][failed_task].get("notebook")
            verdict["failure"] = {
                "task": failed_task, "cell_index": failure.get("cell_index"),
                "ename": failure.get("ename"), "evalue": failure.get("evalue"),
                "notebook": None if not notebook else project.relative(
                    project.run_dir(run["run_id"]) / notebook["path"]),
            }
    return tasks, verdict


def _log_tail(project: Project, job: BuildJob) -> str:
    path = project.state_dir / "lab" / "builds" / f"{job.id}.log"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "the build ended without opening a run, and left no output"
    kept = [line for line in lines if line.strip()][-LOG_TAIL_LINES:]
    from nbops.core import mask_credentials

    return str(mask_credentials("\n".join(kept)))
