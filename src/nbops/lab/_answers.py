"""The JSON answers of ``/nbops/api/``, as types (``labextension/src/api.ts`` reads them).

Each mirrors an interface of ``api.ts`` (``tests/nbops/lab/test_answer_types.py`` keeps their
fields equal); the handlers serialise them as they are. (No ``from __future__ import
annotations``: ``NotRequired`` must be seen at run time, by that test.)
"""

from typing import NotRequired, TypedDict

from nbops.contracts import JSONObject


class LastRun(TypedDict):
    """A task's latest run in which its notebook ran."""

    run_id: str
    started_at: str
    status: str
    duration_s: float | None
    run_status: str


class TaskView(TypedDict):
    """One task of the pipeline panel."""

    name: str
    state: str  # up to date | out of date | running | failed
    reasons: list[str]
    upstream: list[str]
    source: str
    kind: str
    last_run: LastRun | None
    path: NotRequired[str | None]


class FailedGate(TypedDict):
    """A gate the build failed."""

    name: str
    value: float | None
    threshold: float | None
    detail: str


class BuildFailure(TypedDict):
    """The cell a failed build stopped at."""

    task: str
    cell_index: int | None
    ename: str | None
    evalue: str | None
    notebook: str | None


class Verdict(TypedDict):
    """How an ended build ended."""

    outcome: str
    run_id: NotRequired[str]
    duration_s: NotRequired[float | None]
    run_page: NotRequired[str]
    message: NotRequired[str]
    failed_gates: NotRequired[list[FailedGate]]
    failure: NotRequired[BuildFailure]


class BuildProgress(TypedDict):
    """Where a build started from the lab is: each planned task, and the verdict once ended."""

    id: str
    target: str | None
    overrides: dict[str, str]
    planned: list[str]
    running: bool
    elapsed_s: float
    run_id: str | None
    tasks: NotRequired[dict[str, str]]
    verdict: NotRequired[Verdict]


class LatestRun(TypedDict):
    """The project's latest run."""

    run_id: str | None
    status: str | None
    started_at: str | None
    duration_s: float | None


class RunningElsewhere(TypedDict):
    """A build started from a terminal."""

    run_id: str
    pid: int | None


class PipelineView(TypedDict):
    """``GET pipeline``: the tasks, the latest run, the build under way."""

    project: str
    tasks: list[TaskView]
    runs: int
    latest_run: LatestRun | None
    build: BuildProgress | None
    running_elsewhere: RunningElsewhere | None


class TaskRun(TypedDict):
    """One run of a task's notebook."""

    run_id: str
    started_at: str
    run_status: str
    status: str
    duration_s: float | None
    params: JSONObject
    metrics: dict[str, float]


class TaskRuns(TypedDict):
    """``GET tasks/TASK/runs``."""

    task: str
    runs: list[TaskRun]


class NotebookPath(TypedDict):
    """``GET runs/RUN/tasks/TASK/notebook``: the executed notebook, relative to the lab."""

    path: str


class ParametersCell(TypedDict):
    """``GET runs/RUN/tasks/TASK/parameters``: the injected cell a task ran with."""

    run_id: str
    task: str
    params: JSONObject
    source: str


class VersionRow(TypedDict):
    """One registered version in the model panel."""

    version: int
    aliases: list[str]
    run_id: str | None
    registered_at: str
    metrics: dict[str, float]


class ModelView(TypedDict):
    """``GET model``: champion, challenger and the latest versions."""

    model: str
    registered: bool
    champion: VersionRow | None
    challenger: VersionRow | None
    versions: list[VersionRow]


class Promoted(TypedDict):
    """``POST model/promote``."""

    ok: bool
    model: str
    alias: str
    version: int
    previous: int | None
    notes: list[str]


#: ``POST model/rollback`` ("from" is a keyword, hence the functional form)
RolledBack = TypedDict("RolledBack", {"ok": bool, "model": str, "alias": str, "from": int | None,
                                      "to": int, "notes": list[str]})
