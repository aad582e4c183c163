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

_STATUS = {"executed": "executed", "skipped": "skipped", "errored": "failed"}
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
    """

    name: str
    status: str
    will_run: bool
    source_path: Path | None
    products: dict[str, Path]
    notebook_key: str | None
    params: dict[str, Any] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    metadata: dict[str, Path] = field(default_factory=dict)


def _product_paths(product: Any) -> dict[str, Path]:
    from ploomber.products import File, MetaProduct  # type: ignore[import-untyped]

    if isinstance(product, MetaProduct):
        inner = product.products.products
        items = inner.items() if isinstance(inner, Mapping) else enumerate(inner)
        return {str(key): Path(os.path.abspath(str(value))) for key, value in items
                if isinstance(value, File)}
    if isinstance(product, File):
        return {"product": Path(os.path.abspath(str(product)))}
    return {}  # SQL tables and other non-file products are not snapshotted


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


def task_info(task: Any) -> TaskInfo:
    """Describe one Ploomber task."""
    products = _product_paths(task.product)
    params = {k: _plain(v) for k, v in task.params.to_dict().items()
              if k not in ("product", "upstream")}
    loc = getattr(task.source, "loc", None)
    source_path = Path(os.path.abspath(str(loc))) if loc and os.path.isfile(str(loc)) else None
    return TaskInfo(
        name=str(task.name),
        status=_STATUS.get(task.exec_status.value, "not_run"),
        will_run=task.exec_status.value in _PENDING,
        source_path=source_path,
        products=products,
        notebook_key=_notebook_key(task, products),
        params=params,
        upstream=[str(name) for name in task.upstream],
        metadata={key: metadata_path(path) for key, path in products.items()},
    )


def metadata_path(product: Path) -> Path:
    """Where Ploomber keeps the metadata of the file product ``product``."""
    return product.parent / f".{product.name}.metadata"


def task_infos(dag: Any) -> list[TaskInfo]:
    """Every task of ``dag`` in topological order."""
    return [task_info(dag[name]) for name in dag]


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


def build_options(dag: Any) -> dict[str, Any]:
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


def _flat_keys(data: Mapping[Any, Any], prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every leaf of ``data`` as a key path, as Ploomber's CLI flattens the env."""
    keys: list[tuple[Any, ...]] = []
    for key, value in data.items():
        path = (*prefix, key)
        keys.extend(_flat_keys(value, path) if isinstance(value, Mapping) else [path])
    return keys


def env_overrides(data: Mapping[Any, Any], argv: list[str]) -> dict[tuple[Any, ...], Any]:
    """The ``--env--a--b VALUE`` overrides of ``argv``, read and typed as Ploomber reads them.

    Ploomber's CLI adds one ``--env--KEY`` option per leaf of the env file to
    an :mod:`argparse` parser (so ``--env--k=v`` and unambiguous prefixes work
    too) and casts each value with ``ploomber.env.expand.cast_if_possible``
    (``2`` is an int, ``true`` a bool; under a top-level ``path`` key, a
    path). This does the same, so the recorded env holds the values the
    notebooks received. Keys the env file lacks are ignored (Ploomber refuses
    them before anything runs).
    """
    import argparse

    keys = _flat_keys(data)
    parser = argparse.ArgumentParser(add_help=False)
    for number, key in enumerate(keys):
        parser.add_argument("--env--" + "--".join(map(str, key)), dest=f"key{number}")
    known, _ = parser.parse_known_args(argv[1:])
    overrides: dict[tuple[Any, ...], Any] = {}
    for number, key in enumerate(keys):
        value = getattr(known, f"key{number}")
        if value is None:
            continue
        # imported only for a value to cast: importing Ploomber costs a command that has
        # none (`nbops sweep` reading env.yaml before it plans) 1.3 s
        from ploomber.env.expand import cast_if_possible  # type: ignore[import-untyped]

        overrides[key] = (str(Path(value).expanduser()) if key[0] == "path"
                          else cast_if_possible(value))
    return overrides


def entry_point(argv: list[str] | None = None) -> str:
    """The pipeline file of this build (``-e``/``--entry-point``), by default ``pipeline.yaml``."""
    args = list(sys.argv if argv is None else argv)
    for index, arg in enumerate(args):
        if arg in ("-e", "--entry-point") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--entry-point="):
            return arg.partition("=")[2]
    return "pipeline.yaml"


def pipeline_file(root: Path, argv: list[str] | None = None) -> Path:
    """The absolute path of the pipeline file this build loaded."""
    entry = entry_point(argv)
    if entry == "pipeline.yaml":
        return Path(root) / entry
    return Path(os.path.abspath(entry))


def env_file(root: Path, argv: list[str] | None = None) -> Path | None:
    """The env file Ploomber uses.

    ``env.{name}.yaml`` for ``pipeline.{name}.yaml`` when it exists, else ``env.yaml``.
    """
    pipeline = pipeline_file(root, argv)
    folder = pipeline.parent
    parts = pipeline.name.split(".")
    candidates = []
    if len(parts) == 3 and parts[0] == "pipeline" and parts[2] in ("yaml", "yml"):
        candidates.append(folder / f"env.{parts[1]}.yaml")
    candidates.append(folder / "env.yaml")
    return next((c for c in candidates if c.is_file()), None)


def resolved_env(root: Path, argv: list[str] | None = None) -> dict[str, Any]:
    """The build's env file (see :func:`env_file`) with its ``--env--`` overrides applied.

    The one place nbops resolves env values: the ledger records this as the
    run's ``env`` and post-close steps read their settings from it. Overrides
    are typed as Ploomber types them (:func:`env_overrides`); placeholders such
    as ``{{here}}`` are recorded as written (expanding them would run Ploomber's
    ``git`` look-ups a second time in every build). Returns an empty dict when
    the project has no env file.
    """
    import yaml  # type: ignore[import-untyped]

    path = env_file(root, argv)
    if path is None:
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        return {}
    for keys, value in env_overrides(data, list(sys.argv if argv is None else argv)).items():
        node = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    plain: dict[str, Any] = _plain(data)
    return plain


def dag_root(dag: Any) -> Path | None:
    """The folder of the ``pipeline.yaml`` the DAG was loaded from, when Ploomber knows it."""
    for task_name in dag:
        loc = getattr(dag[task_name].source, "loc", None)
        if loc:
            folder = Path(os.path.abspath(str(loc))).parent
            for candidate in (folder, *folder.parents):
                if (candidate / "pipeline.yaml").is_file():
                    return candidate
    return None


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
        from ploomber.executors._format import exception  # type: ignore[import-untyped]
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

    path_to_env = env_file(root, ["ploomber", "build", "--entry-point", pipeline])
    with contextlib.chdir(root):
        env = None
        if path_to_env is not None:
            env = EnvDict(str(path_to_env), path_to_here=root)
            replace = {"env__" + key.replace(".", "__"): value
                       for key, value in (overrides or {}).items()}
            if replace:
                env = env._replace_flatten_keys(replace)
        return DAGSpec(str(root / pipeline), env=env).to_dag()


def render_loaded(root: Path, dag: Any) -> list[TaskInfo]:
    """The second half of :func:`render_tasks`: render a DAG from :func:`load_dag` (which
    tasks are up to date is read now, from the products' metadata) and describe it."""
    with contextlib.chdir(root):
        dag.render(show_progress=False)
        return task_infos(dag)


def loaded_from(root: Path, pipeline: str, dag: Any = None) -> list[Path]:
    """The files a DAG from :func:`load_dag` was read from: the pipeline file, its env file
    and every task's source (the DAG is stale once one of them changed); without ``dag``,
    the first two (known before loading)."""
    files = [Path(root) / pipeline]
    found = env_file(root, ["ploomber", "build", "--entry-point", pipeline])
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
