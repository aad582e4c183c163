"""The run manifest as a type: the ledger's own sections and the whole ``manifest.json``.

Each TypedDict mirrors a part of ``nbops/core/schemas/manifest.schema.json`` (the
validator: :func:`nbops.contracts.read_manifest` checks every manifest against it before
returning this type); ``tests/nbops/contracts`` keeps their keys equal to the schema's.
Feature sections (``gates``, ``registry``, ``card``, ``monitoring``, ``reproductions``)
are typed in :mod:`nbops.contracts._section_types`. (No ``from __future__ import annotations``
here: ``NotRequired`` must be seen at run time, by that test among others.)
"""


from typing import Any, Literal, NotRequired, TypedDict

from nbops.contracts._section_types import (
    CardSection,
    GatesSection,
    MonitoringSection,
    RegistrySection,
    ReproductionsSection,
)

#: Values a user wrote and nbops records as written: ``env.yaml`` (with ``--env--``
#: overrides) and each task's notebook parameters. Free-form JSON by nature: nbops reads a
#: few known keys of it through :mod:`nbops.core._settings`, never a fixed shape.
UserValues = dict[str, Any]

RunStatus = Literal["running", "closing", "succeeded", "failed", "gated", "alert",
                    "interrupted"]
TaskStatus = Literal["executed", "skipped", "failed", "not_run"]


class _FileRequired(TypedDict):
    path: str
    hash: str | None


class StoredFile(TypedDict):
    """One file of a folder product."""

    hash: str
    size: int


class FileRecord(_FileRequired, total=False):
    """A file the run recorded (``$defs/file``): a task's source, product, notebook, artifact."""

    size: int | None
    metadata_hash: str | None
    redacted: bool
    kind: str  # "folder" (its files below) or "external" (not stored)
    files: dict[str, StoredFile]


class _TaskErrorRequired(TypedDict):
    ename: str
    evalue: str


class TaskError(_TaskErrorRequired, total=False):
    """The exception a task's notebook raised (``$defs/error``)."""

    cell_index: int | None
    execution_count: int | None


class CurveSeries(TypedDict):
    """One stepped metric: its steps (strictly increasing) and values."""

    steps: list[int]
    values: list[float]


class Curves(TypedDict):
    """Metrics a task logged with a step (``$defs/curves``)."""

    schema_version: int
    series: dict[str, CurveSeries]


class TaskRecord(TypedDict):
    """``manifest["tasks"][name]`` (``$defs/task``)."""

    status: TaskStatus
    kind: NotRequired[str]
    duration_s: float | None
    upstream: list[str]
    source: FileRecord
    products: dict[str, FileRecord]
    notebook: FileRecord | None
    produced_by: str | None
    metrics: dict[str, float]
    curves: NotRequired[Curves]
    artifacts: list[FileRecord]
    error: TaskError | None


class Failure(TypedDict):
    """``manifest["failure"]``: why a run failed (``$defs/failure``)."""

    task: str | None
    message: str
    cell_index: NotRequired[int | None]
    ename: NotRequired[str | None]
    evalue: NotRequired[str | None]


class GitRecord(TypedDict):
    """``provenance.git``: the commit the run was built from."""

    commit: str | None
    branch: str | None
    dirty: bool | None
    diff_hash: str | None
    diff_size: NotRequired[int | None]
    diff_stored: NotRequired[bool]
    untracked: NotRequired[list[str]]


class Provenance(TypedDict):
    """``manifest["provenance"]`` (``$defs/provenance``): what the run was built from."""

    git: GitRecord
    python: str
    platform: str
    packages: dict[str, str]
    lock_hash: str | None
    config: NotRequired[dict[str, str | None]]
    sources: dict[str, str | None]
    inputs: dict[str, str | None]
    seeds: dict[str, int | None]
    env_vars: NotRequired[dict[str, str]]


class BuildRecord(TypedDict, total=False):
    """``manifest["build"]``: how Ploomber was asked to build."""

    partially: str | None
    force: bool
    pipeline: str
    env_file: str | None
    tasks_in_dag: list[str]
    stopped_early: str


class StoreRecord(TypedDict):
    """``manifest["store"]``: what the run added to the content store."""

    objects_added: int
    bytes_added: int


class Overhead(TypedDict, total=False):
    """``manifest["overhead"]``: seconds the ledger spent opening and closing the run."""

    open_s: float
    close_s: float


class Note(TypedDict):
    """One note a person added to a finished run (``nbops note``)."""

    at: str
    text: str


class Notes(TypedDict):
    """``manifest["notes"]``."""

    items: list[Note]


class ColumnType(TypedDict):
    """One column of a query result."""

    name: str
    type: str


class SourceRecord(TypedDict):
    """``manifest["sources"][task.param]``: a query source's snapshot (``nbops.sources``)."""

    sql: str
    connection: str
    kind: str
    snapshot: str
    target: str | None
    hash: str
    rows: int
    size: int
    columns: list[ColumnType]
    changed: bool
    previous_hash: str | None
    query_s: float
    frozen: bool


#: ``manifest["tags"]``: labels the command that started the build attached.
Tags = dict[str, str | float | bool]


class Interrupted(TypedDict, total=False):
    """``manifest["interrupted"]``: a run left unfinished, closed by a later process."""

    detected_at: str
    detected_by_pid: int
    reason: str
    phase: Literal["running", "closing"]


class Manifest(TypedDict):
    """``reports/runs/<run_id>/manifest.json``: one run, with every section typed.

    Keys the schema requires are required here; the others (the ledger's optional
    sections and every feature's section) are ``NotRequired``.
    """

    schema_version: int
    run_id: str
    project: str
    status: RunStatus
    started_at: str
    finished_at: str | None
    duration_s: float | None
    command: list[str]
    host: str
    pid: int
    build: NotRequired[BuildRecord]
    params: dict[str, UserValues]
    env: UserValues
    tasks: dict[str, TaskRecord]
    metrics: dict[str, float]
    provenance: Provenance
    failure: Failure | None
    store: NotRequired[StoreRecord]
    overhead: NotRequired[Overhead]
    notes: NotRequired[Notes]
    tags: NotRequired[Tags]
    interrupted: NotRequired[Interrupted]
    sources: NotRequired[dict[str, SourceRecord]]
    # feature sections (nbops.contracts._section_types), each validated by its own schema
    gates: NotRequired[GatesSection]
    registry: NotRequired[RegistrySection]
    card: NotRequired[CardSection]
    monitoring: NotRequired[MonitoringSection]
    reproductions: NotRequired[ReproductionsSection]


class ExperimentRef(TypedDict, total=False):
    """What a run is about (``nbops.core._experiment``): model, data source, given name."""

    model: str | None
    data: str
    name: str | None


class ModelRef(TypedDict):
    """A registered model version."""

    model: str
    version: int


class TaskOutcome(TypedDict):
    """A task's outcome as the run index keeps it."""

    status: str
    duration_s: float | None


class _SummaryRequired(TypedDict):
    schema_version: int
    run_id: str
    status: RunStatus
    started_at: str
    finished_at: str | None
    duration_s: float | None
    executed: int
    skipped: int
    failed: int
    metrics: dict[str, float]


class RunSummary(_SummaryRequired, total=False):
    """One line of ``reports/runs/index.jsonl`` (``run_index.schema.json``): a run in brief."""

    pid: int
    host: str
    pinned: bool
    manifest_stat: list[int]
    tags: Tags
    notes: str
    experiment: ExperimentRef
    params: UserValues  # env.yaml's scalars, flattened to dotted names
    tasks: dict[str, TaskOutcome]
    gates_verdict: str
    failed_gates: list[str]
    model_version: ModelRef
    monitoring_verdict: str


class LiveTask(TypedDict):
    """A task of a build in progress, as ``live.json`` says (``waiting``, ``running``…)."""

    state: str
    started_at: NotRequired[str]
    finished_at: NotRequired[str]


class LiveStatus(TypedDict):
    """``reports/runs/<run_id>/live.json`` (``live_status.schema.json``): a build in progress."""

    schema_version: int
    run_id: str
    state: RunStatus
    final: bool
    updated_at: str
    pid: int
    tasks: dict[str, LiveTask]
