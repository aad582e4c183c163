"""Everything nbops needs from Ploomber's DAG and task objects, in one place.

Ploomber is archived upstream; if its internals move, this is the module to
change. Nothing here writes files: it turns a live DAG into plain data
(:class:`TaskInfo`) for :mod:`nbops.runs`. Ploomber itself is imported only
inside the functions that need a live DAG, so that CLI commands using the
path helpers here do not pay for importing it.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.adapters._converted_notebooks import executed_notebook
from nbops.contracts import BuildRecord
from nbops.contracts import TaskStatus as RecordedTaskStatus
from nbops.core import SettingKey

_STATUS: dict[str, RecordedTaskStatus] = {"executed": "executed", "skipped": "skipped",
                                          "errored": "failed"}
_PENDING = {"waiting_execution", "waiting_upstream", "waiting_download"}


@dataclass
class TaskInfo:
    """One task of a DAG, as plain data.

    Attributes:
        name: the task name.
        status: ``executed``, ``skipped``, ``failed`` or ``not_run`` (aborted or pending).
        will_run: at render time, whether Ploomber plans to execute it.
        source_path: the task's source file, if it has one.
        products: product key → absolute path (key ``"product"`` for single products).
        metadata: product key → Ploomber's metadata file for it (source, params,
            timestamp: what makes Ploomber consider a product up to date).
        notebook_key: the key of the executed-notebook product, if any.
        params: the task's own parameters (without ``product`` and ``upstream``).
        upstream: names of upstream tasks.
        notebook_file: the file holding the executed notebook as JSON: the
            ``.ipynb`` product, or, for a notebook Ploomber converts (``.html``,
            ``.md``…), the copy kept before the conversion
            (:mod:`nbops.adapters._converted_notebooks`); None when there is none.
        unstored: products that are not files (SQL tables, views…): key → their
            name; recorded by name, neither stored nor verified.
        kind: Ploomber's task class (``NotebookRunner``, ``PythonCallable``,
            ``SQLScript``, ``ShellScript``…), shown on the task's page.
        produced_by: for a skipped task whose products came from an earlier run that
            this machine has no record of (a scheduler's worker fetched them by hash):
            that run's id. None lets the ledger find the producer among local runs.
    """

    name: str
    status: RecordedTaskStatus
    will_run: bool
    source_path: Path | None
    products: dict[str, Path]
    notebook_key: str | None
    params: dict[str, Any] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    metadata: dict[str, Path] = field(default_factory=dict)
    notebook_file: Path | None = None
    unstored: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    produced_by: str | None = None


def _product_paths(product: Any) -> dict[str, Path]:
    from ploomber.products import File, MetaProduct

    if isinstance(product, MetaProduct):
        inner = product.products.products
        items = inner.items() if isinstance(inner, Mapping) else enumerate(inner)
        return {str(key): Path(os.path.abspath(str(value))) for key, value in items
                if isinstance(value, File)}
    if isinstance(product, File):
        return {"product": Path(os.path.abspath(str(product)))}
    return {}  # SQL tables and other non-file products: see _unstored_products


def _unstored_products(product: Any) -> dict[str, str]:
    """Products that are not files (SQL tables and views, …): key → what Ploomber calls them."""
    from ploomber.products import File, MetaProduct

    if isinstance(product, MetaProduct):
        inner = product.products.products
        items = inner.items() if isinstance(inner, Mapping) else enumerate(inner)
        return {str(key): _described(value) for key, value in items
                if not isinstance(value, File)}
    return {} if isinstance(product, File) else {"product": _described(product)}


def _described(product: Any) -> str:
    kind = getattr(product, "kind", None)
    name = str(product)
    return f"{name} ({kind})" if isinstance(kind, str) and kind not in name else name


def _notebook_key(task: Any, products: dict[str, Path]) -> str | None:
    if type(task).__name__ != "NotebookRunner":
        return None
    key = getattr(task, "nb_product_key", "nb")
    if isinstance(key, list):
        key = next((k for k in key if str(products.get(k, "")).endswith(".ipynb")), key[0])
    if "product" in products and len(products) == 1:
        return "product"
    return str(key) if key in products else None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _source_file(task: Any) -> Path | None:
    """The file a task's source lives in: a notebook, script or SQL file, or the module
    of a function task (Ploomber's ``loc`` of a ``PythonCallable`` is ``path:line``)."""
    loc = getattr(task.source, "loc", None)
    if not loc and type(task.source).__name__ == "FileSource":  # SQLUpload: the data file
        loc = str(task.source)
    if not loc:
        return None
    text = str(loc)
    if not os.path.isfile(text):
        head, _, line = text.rpartition(":")
        if not (line.isdigit() and os.path.isfile(head)):
            return None
        text = head
    return Path(os.path.abspath(text))


def task_info(task: Any) -> TaskInfo:
    """Describe one Ploomber task."""
    products = _product_paths(task.product)
    params = {k: _plain(v) for k, v in task.params.to_dict().items()
              if k not in ("product", "upstream")}
    source_path = _source_file(task)
    status = _STATUS.get(task.exec_status.value, "not_run")
    notebook_key = _notebook_key(task, products)
    return TaskInfo(
        name=str(task.name),
        status=status,
        will_run=task.exec_status.value in _PENDING,
        source_path=source_path,
        products=products,
        notebook_key=notebook_key,
        notebook_file=None if notebook_key is None else executed_notebook(task, status),
        params=params,
        upstream=[str(name) for name in task.upstream],
        metadata={key: metadata_path(path) for key, path in products.items()},
        unstored=_unstored_products(task.product),
        kind=type(task).__name__,
    )


def metadata_path(product: Path) -> Path:
    """Where Ploomber keeps the metadata of the file product ``product``."""
    return product.parent / f".{product.name}.metadata"


def task_infos(dag: Any) -> list[TaskInfo]:
    """Every task of ``dag`` in topological order."""
    return [task_info(dag[name]) for name in dag]


def build_task_states(dag: Any) -> dict[str, str]:
    """Each task's state during a build, in nbops' words (the live view's source).

    ``executed``, ``skipped``, ``failed``, ``not_run`` (aborted), ``running`` (its
    upstream tasks are done and the executor has it: Ploomber has no status of its
    own for a task in flight) or ``waiting``. Read from another thread while the
    build runs: Ploomber's statuses are plain attributes, each read is atomic.
    """
    from ploomber.constants import TaskStatus

    words = {TaskStatus.Executed: "executed", TaskStatus.Skipped: "skipped",
             TaskStatus.Errored: "failed", TaskStatus.ErroredRender: "failed",
             TaskStatus.Aborted: "not_run", TaskStatus.AbortedRender: "not_run",
             TaskStatus.BrokenProcessPool: "failed"}
    done = (TaskStatus.Executed, TaskStatus.Skipped)
    states: dict[str, str] = {}
    for name in list(dag):
        task = dag[name]
        status = task.exec_status
        if status in words:
            states[str(name)] = words[status]
        elif status in (TaskStatus.WaitingExecution, TaskStatus.WaitingDownload) and all(
                up.exec_status in done for up in task.upstream.values()):
            states[str(name)] = "running"
        else:
            states[str(name)] = "waiting"
    return states


def _building_frame(dag: Any, code_name: str) -> Any:
    frame: Any = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == code_name and frame.f_locals.get("self") is dag:
            return frame
        frame = frame.f_back
    return None


def is_building(dag: Any) -> bool:
    """Whether ``dag`` is being rendered as part of ``DAG.build``.

    ``on_render`` also fires for ``ploomber status``, ``plot``, JupyterLab's
    cell injection and any ``dag.render()``; only a build opens a run.
    """
    return (_building_frame(dag, "_build") is not None
            or _building_frame(dag, "_build_partially") is not None)


def build_options(dag: Any) -> BuildRecord:
    """How the build was requested: ``force`` and the ``partially`` target, if any.

    The pipeline and env files are added by the caller (see :func:`pipeline_file`).
    """
    frame = _building_frame(dag, "_build") or _building_frame(dag, "_build_partially")
    force = bool(frame.f_locals.get("force")) if frame is not None else False
    partially = None
    probe: Any = sys._getframe(1)
    while probe is not None:
        if probe.f_code.co_name == "_build_partially":
            target = probe.f_locals.get("target")
            partially = None if target is None else str(target)
            break
        probe = probe.f_back
    return {"force": force, "partially": partially}


def cast_env_value(key: SettingKey, text: str) -> Any:
    """``text`` given as ``--env--KEY`` typed as Ploomber types it.

    ``ploomber.env.expand.cast_if_possible``: ``2`` is an int, ``true`` a bool; under a
    top-level ``path`` key, a path with ``~`` expanded.
    """
    if key.parts[0] == "path":
        return str(Path(text).expanduser())
    # imported only for a value to cast: importing Ploomber costs a command that has
    # none (`nbops sweep` reading env.yaml before it plans) 1.3 s
    from ploomber.env.expand import cast_if_possible

    return cast_if_possible(text)


def env_overrides(data: Mapping[Any, Any], argv: list[str]) -> dict[SettingKey, Any]:
    """The ``--env--a--b VALUE`` overrides of ``argv``, read and typed as Ploomber reads them.

    Ploomber's CLI adds one ``--env--KEY`` option per leaf of the env file to
    an :mod:`argparse` parser (so ``--env--k=v`` and unambiguous prefixes work
    too) and casts each value (:func:`cast_env_value`). This does the same, so the
    recorded env holds the values the notebooks received. Keys the env file lacks
    are ignored (Ploomber refuses them before anything runs).
    """
    import argparse

    from nbops.core import flatten

    keys = [key for key, value in flatten(data).items() if not isinstance(value, Mapping)]
    parser = argparse.ArgumentParser(add_help=False)
    for number, key in enumerate(keys):
        parser.add_argument(key.option, dest=f"key{number}")
    known, _ = parser.parse_known_args(argv[1:])
    overrides: dict[SettingKey, Any] = {}
    for number, key in enumerate(keys):
        value = getattr(known, f"key{number}")
        if value is not None:
            overrides[key] = cast_env_value(key, value)
    return overrides


def entry_point(argv: list[str] | None = None) -> str | None:
    """The ``-e``/``--entry-point`` of this build's command line, if one was given."""
    args = list(sys.argv if argv is None else argv)
    for index, arg in enumerate(args):
        if arg in ("-e", "--entry-point") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--entry-point="):
            return arg.partition("=")[2]
    return None


def pipeline_file(root: Path, argv: list[str] | None = None) -> Path:
    """The absolute path of the pipeline file this build loaded.

    The ``--entry-point`` file when one was given, else the one Ploomber finds from
    ``root`` (``src/<package>/pipeline.yaml`` in the packaged layout, ``$ENTRY_POINT``,
    setup.cfg's ``entry-point``), else ``root/pipeline.yaml``.
    """
    from nbops.core import is_dotted_path, locate_pipeline

    entry = entry_point(argv)
    if entry is not None and not is_dotted_path(entry):
        return Path(os.path.abspath(entry))
    located = locate_pipeline(root) if entry is None else None
    if located is not None and located.pipeline is not None:
        return located.pipeline
    return Path(root) / "pipeline.yaml"


ENV_FILENAME_ENV = "PLOOMBER_ENV_FILENAME"


def env_file(root: Path, argv: list[str] | None = None) -> Path | None:
    """The env file Ploomber uses (``ploomber.util.default.path_to_env_from_spec``).

    ``$PLOOMBER_ENV_FILENAME`` when set; else ``env.{name}.yaml`` for
    ``pipeline.{name}.yaml`` when it exists, else ``env.yaml``; each looked for in the
    working folder first (the project root when the working folder is outside the
    project: a caller naming ``root`` builds there), then beside the pipeline file.
    """
    pipeline = pipeline_file(root, argv)
    here = Path.cwd()
    working = here if here.is_relative_to(Path(root).resolve()) else Path(root)
    parts = pipeline.name.split(".")
    named = os.environ.get(ENV_FILENAME_ENV) or None
    wanted = [named] if named else (
        [f"env.{parts[1]}.yaml", "env.yaml"] if len(parts) >= 3 else ["env.yaml"])
    for name in wanted:
        for folder in (working, pipeline.parent):
            if (folder / name).is_file():
                return (folder / name).resolve()
    return None


def resolved_env(root: Path, argv: list[str] | None = None) -> dict[str, Any]:
    """The build's env file (see :func:`env_file`) with its ``--env--`` overrides applied.

    The one place nbops resolves env values: the ledger records this as the
    run's ``env`` and post-close steps read their settings from it. Overrides
    are typed as Ploomber types them (:func:`env_overrides`); placeholders such
    as ``{{here}}`` are recorded as written (expanding them would run Ploomber's
    ``git`` look-ups a second time in every build). Returns an empty dict when
    the project has no env file.
    """
    from nbops.core import ProjectSettings

    path = env_file(root, argv)
    if path is None:
        return {}
    # malformed YAML: one sentence, with or without hooks; a list: Ploomber refuses it
    # shared: the env loader's check (ploomber_config_errors) parsed it in this build
    settings = ProjectSettings.read(path, what=path.name, mapping_required=False, shared=True)
    overrides = env_overrides(settings.values, list(sys.argv if argv is None else argv))
    plain: dict[str, Any] = _plain(settings.with_overrides(overrides).values)
    return plain


def dag_root(dag: Any) -> Path | None:
    """The root of the project the DAG was loaded from, found as Ploomber finds it.

    From the ``--entry-point`` of Ploomber's command line when one was given (for a
    dotted path to a factory: the project of the working folder, else that folder),
    else from the folder of the first task source that lies in a project
    (:func:`nbops.core.locate_pipeline`: a packaged project's root is its
    ``setup.py``'s folder, never ``src/<package>/``).
    """
    from nbops.core import is_dotted_path, locate_pipeline

    entry = entry_point() if _from_ploomber_cli() else None
    if entry is not None and (is_dotted_path(entry) or Path(entry).is_file()):
        located = locate_pipeline(Path.cwd(), entry)  # a factory's project: the cwd's
        if located is not None:
            return located.root
    for task_name in dag:
        loc = getattr(dag[task_name].source, "loc", None)
        if loc and os.path.exists(str(loc)):
            found = locate_pipeline(Path(os.path.abspath(str(loc))).parent)
            if found is not None:
                return found.root
    return None


def factory_entry_point() -> str | None:
    """The ``--entry-point`` of Ploomber's command line when it is a dotted path to a factory."""
    from nbops.core import is_dotted_path

    entry = entry_point() if _from_ploomber_cli() else None
    return entry if entry is not None and is_dotted_path(entry) else None


def _from_ploomber_cli() -> bool:
    marker = os.path.join("ploomber", "cli", "")
    frame: Any = sys._getframe(1)
    while frame is not None:
        if marker in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def report_durations(report: Any) -> dict[str, float]:
    """Seconds per task that ran, from Ploomber's ``BuildReport`` (empty if unavailable)."""
    try:
        names = report.values["name"]
        elapsed = report.values["Elapsed (s)"]
        ran = report.values["Ran?"]
    except (AttributeError, KeyError, TypeError):
        return {}
    return {str(n): float(e) for n, e, r in zip(names, elapsed, ran, strict=False) if r}


def format_task_exception(exc: BaseException) -> str:
    """A failed task's error as Ploomber's own executors word it for the build report.

    Ploomber keeps that formatter private (``ploomber.executors._format``); if
    it moves, the error falls back to the full Python traceback.
    """
    try:
        from ploomber.executors._format import exception
    except ImportError:  # pragma: no cover - only on a Ploomber without the private module
        import traceback

        return "".join(traceback.format_exception(exc))
    return str(exception(exc))


def command_argv() -> list[str]:
    """The command line of this build as the user typed it.

    ``ploomber build`` removes ``build`` from ``sys.argv`` before parsing; it
    is put back when the build was started by Ploomber's CLI.
    """
    argv = [str(arg) for arg in sys.argv]
    marker = os.path.join("ploomber", "cli", "build.py")
    frame: Any = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(marker):
            return [os.path.basename(argv[0]) if argv else "ploomber", "build", *argv[1:]]
        frame = frame.f_back
    return argv


def render_tasks(root: Path, pipeline: str = "pipeline.yaml",
                 overrides: Mapping[str, str] | None = None) -> list[TaskInfo]:
    """The tasks ``ploomber build --entry-point PIPELINE --env--K V …`` would build.

    Loads and renders the DAG in this process exactly as Ploomber's command line
    does (the same env file, ``--env--`` keys replaced as the strings given), without
    building it: the DAG hooks see no build, so no run is opened. Used to decide,
    before a build, which tasks it will execute and with which parameters.

    Args:
        root: the project folder.
        pipeline: the pipeline file, relative to ``root``.
        overrides: dotted env keys (``model.max_depth``) → the command-line string.
    """
    return render_loaded(root, load_dag(root, pipeline, overrides))


def load_dag(root: Path, pipeline: str = "pipeline.yaml",
             overrides: Mapping[str, str] | None = None) -> Any:
    """The first half of :func:`render_tasks`: the DAG loaded (its env file, overrides and
    task sources read, as Ploomber's command line loads them), not rendered."""
    from ploomber.env.envdict import EnvDict
    from ploomber.spec import DAGSpec

    path_to_env = env_file(root, ["ploomber", "build", "--entry-point", str(Path(root) / pipeline)])
    with contextlib.chdir(root):
        env = None
        if path_to_env is not None:
            env = EnvDict(str(path_to_env), path_to_here=root)
            replace = {SettingKey.parse(key).ploomber_flat: value
                       for key, value in (overrides or {}).items()}
            if replace:
                env = env._replace_flatten_keys(replace)
        return DAGSpec(str(root / pipeline), env=env).to_dag()


def build_one_task(root: Path, dag: Any, name: str) -> str | None:
    """Execute task ``name`` of a DAG rendered with ``force`` on its own, as its build would.

    Every other task is marked up to date, so the pipeline's own executor (nbops' forked,
    pre-imported kernels for the reference pipeline) runs ``name`` alone, exactly as it
    runs it in a ``ploomber build``: the same engine, the same kernel set-up, so the
    executed notebook is the one a local build writes (``nbops reproduce`` compares
    them). The task's upstream products must already be in place; no DAG hook runs.
    Ploomber's own ``Task.build`` is not used: it refuses a task whose upstream's
    upstream is absent, which a worker that fetched only the task's inputs never has.
    Returns None, or the task's error as the build would report it.
    """
    from ploomber.constants import TaskStatus

    for task in dag.values():  # topological order: the task's upstream first
        if task.name != name:
            task.exec_status = TaskStatus.Skipped
    with contextlib.chdir(root):
        try:
            dag.executor(dag=dag, show_progress=False)
        except Exception as exc:  # the task's own error, as a build would report it
            return str(exc) if type(exc).__name__ == "DAGBuildError" else \
                format_task_exception(exc)
    return None


def render_loaded(root: Path, dag: Any, force: bool = False) -> list[TaskInfo]:
    """The second half of :func:`render_tasks`: render a DAG from :func:`load_dag` (which
    tasks are up to date is read now, from the products' metadata; with ``force``, every
    task is to be executed) and describe it."""
    with contextlib.chdir(root):
        dag.render(force=force, show_progress=False)
        return task_infos(dag)


def loaded_from(root: Path, pipeline: str, dag: Any = None) -> list[Path]:
    """The files a DAG from :func:`load_dag` was read from: the pipeline file, its env file
    and every task's source (the DAG is stale once one of them changed); without ``dag``,
    the first two (known before loading)."""
    files = [Path(root) / pipeline]
    found = env_file(root, ["ploomber", "build", "--entry-point", str(Path(root) / pipeline)])
    if found is not None:
        files.append(found)
    for name in dag if dag is not None else ():
        loc = getattr(dag[name].source, "loc", None)
        if loc:
            files.append(Path(root) / str(loc))
    return files


def under_ploomber_cli() -> bool:
    """Whether this process is Ploomber's command line (``ploomber build`` …), whose
    error handler wraps an exception from a DAG hook in its own message and link."""
    return Path(sys.argv[0]).name in ("ploomber", "ploomber.exe") if sys.argv else False


def ploomber_command() -> str:
    """The ``ploomber`` executable of this environment (for builds in a child process).

    Raises:
        ConfigError: Ploomber's command line is not installed.
    """
    import shutil

    from nbops.core import ConfigError

    candidate = Path(sys.executable).with_name("ploomber")
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("ploomber")
    if found is None:
        raise ConfigError("the ploomber command is not installed in this environment",
                          "install nbops with pip (it brings Ploomber), or run make install")
    return found


def run_ploomber_cli(argv: list[str], root: Path) -> int:
    """Run Ploomber's command line (``argv`` as ``sys.argv``) in this process, in ``root``.

    What the ``ploomber`` executable would do, without starting a new interpreter (a
    sweep's trial builds this way: Ploomber is imported once per trial, not twice).
    Changes the working folder and ``sys.argv`` of this process, for good.

    Returns:
        Ploomber's exit code.
    """
    from ploomber_cli.cli import cmd_router

    os.chdir(root)
    sys.argv = argv
    try:
        cmd_router()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def call_project_hook(spec: Any, folder: Path, **available: Any) -> None:
    """Call the project's own DAG hook (``project_hook`` of nbops' hook) as Ploomber would.

    ``spec`` is what the pipeline file said: a dotted path, or a mapping with
    ``dotted_path`` and the hook's own parameters. It is imported with ``folder``
    (the pipeline file's) on ``sys.path``, as Ploomber imports hooks while loading the
    pipeline; Ploomber's ``callback_check`` passes it only the arguments its signature
    asks for among ``available`` (``dag``, and ``report`` or ``traceback``).
    """
    from ploomber.util.dotted_path import DottedPath
    from ploomber.util.util import (
        add_to_sys_path,
        callback_check,
    )

    with add_to_sys_path(str(folder), chdir=False):
        hook = DottedPath(dict(spec) if isinstance(spec, Mapping) else spec, lazy_load=False)
    hook(**callback_check(hook, available))


def building_one_task() -> bool:
    """Whether this is ``ploomber task NAME``: it builds one task outside ``DAG.build``, so
    Ploomber calls no DAG hook when it ends."""
    marker = os.path.join("ploomber", "cli", "task.py")
    frame: Any = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(marker):
            return True
        frame = frame.f_back
    return False


def python_env(dag: Any) -> tuple[Path, dict[str, Any]] | None:
    """The pipeline file and env a Python script gave Ploomber for ``dag``
    (``DAGSpec(path, env={...})``).

    Ploomber keeps no link from a DAG to the spec that made it; a script that builds
    ``spec = DAGSpec("pipeline.yaml", env=...)``, then ``spec.to_dag().build()``, still
    holds the spec in one of the frames above this build (beside this DAG, or alone). Its env (the
    script's values over the env file's, Ploomber's own ``here``/``cwd``/``now``… left
    out) is what the notebooks received. None when no such spec is found (a build from
    Ploomber's command line, or a spec no frame holds any more).
    """
    if _from_ploomber_cli():
        return None
    from ploomber import DAG
    from ploomber.spec import DAGSpec

    frame: Any = sys._getframe(1)
    while frame is not None:
        values = list(frame.f_locals.values())
        dags = [value for value in values if isinstance(value, DAG)]
        # the script's frame: it holds this DAG, or only the spec (spec.to_dag().build())
        if not dags or any(value is dag for value in dags):
            for value in values:
                if isinstance(value, DAGSpec) and value.path is not None:
                    own = set(value.env.default_keys)
                    env: dict[str, Any] = _plain({k: v for k, v in value.env.items()
                                                  if k not in own})
                    return Path(value.path).resolve(), env
        frame = frame.f_back
    return None
