"""The Ploomber DAG hooks: the glue between a ``ploomber build`` and the run ledger.

Declare them in ``pipeline.yaml``::

    on_render: nbops.hooks.on_render
    on_finish: nbops.hooks.on_finish
    on_failure: nbops.hooks.on_failure

``on_render`` opens a run (only when the DAG is being built: ``ploomber
status`` or JupyterLab's cell injection render too, and must not record
anything); ``on_finish`` / ``on_failure`` close it, then call the
:data:`POST_CLOSE_STEPS` in order with the :class:`~nbops.runs.context.RunContext`.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

from nbops.core.errors import NbopsError

logger = logging.getLogger("nbops")

#: Features that run after the ledger closed a run, in this order, each as
#: ``"module:function"`` called with the RunContext. Gates and the registry
#: come first (they may mark the run ``gated``), reports last (they show the
#: final verdict). A step that raises NbopsError (e.g. GateFailure) fails the
#: build, after the remaining steps ran. Add one line per feature. A step's
#: module may also define ``prepare(project, run_id, env, tasks)``, called
#: when the run opens, to get ready while the notebooks run.
POST_CLOSE_STEPS: tuple[str, ...] = (
    "nbops.registry.pipeline_step:gate_after_close",  # gates, register, promote; may gate
    "nbops.monitoring.after_run:record_monitoring",  # monitoring builds only: verdict, alert
    "nbops.reports.render:render_after_close",  # keep last: pages show final verdicts
)

_ATTR = "_nbops_open_run"


def _project_for(dag: Any) -> Any:
    """The project being built: where its pipeline.yaml is, else the cwd's project.

    Never ``$NBOPS_PROJECT_ROOT``: a build started from inside another build
    (a reproduction, a test) inherits the outer project's variable.
    """
    import os

    from nbops.adapters.ploomber_adapter import dag_root
    from nbops.core.project import Project, find_project

    root = dag_root(dag)
    return Project(root) if root is not None else find_project(os.getcwd())


def on_render(dag: Any, reproduce: Any = None, gates: Any = None, registry: Any = None,
              parameters: Any = None) -> None:
    """Open a run for this build (idempotent: Ploomber may render more than once).

    Args:
        reproduce: env.yaml's ``reproduce`` section, when the project declares
            non-deterministic tasks (``on_render: {dotted_path: nbops.hooks.on_render,
            reproduce: '{{reproduce}}'}``); checked here so a typo fails before
            anything runs. The ledger records it with the rest of ``env``.
        gates, registry: env.yaml's ``gates`` and ``registry`` sections
            (``gates: '{{gates}}'``, ``registry: '{{registry}}'``), checked here
            for the same reason; the registry step reads them from the run's env.
        parameters: env.yaml's ``parameters`` declaration (``parameters:
            '{{parameters}}'``; declaring it keeps Ploomber from warning that the
            section is unused). The resolved values are checked against it
            (:mod:`nbops.core.parameters`) before any task runs or any run is
            recorded.
    """
    from nbops.adapters import ploomber_adapter as adapter

    if gates is not None or registry is not None:
        from nbops.registry.pipeline_step import check_settings

        check_settings(gates, registry)
    if reproduce is not None:
        from nbops.reproduce.declaration import check_tasks, parse_declaration

        check_tasks(parse_declaration(reproduce), [str(name) for name in dag])
    if not adapter.is_building(dag):
        return
    current = getattr(dag, _ATTR, None)
    if current is not None and not current.closed:
        return
    from nbops.runs.lifecycle import open_run

    project = _project_for(dag)
    build = adapter.build_options(dag)
    env_path = adapter.env_file(project.root)
    build["pipeline"] = project.relative(adapter.pipeline_file(project.root))
    build["env_file"] = None if env_path is None else project.relative(env_path)
    tasks = adapter.task_infos(dag)
    env = adapter.resolved_env(project.root)
    from nbops.core.parameters import check_parameters

    check_parameters(env)  # declared types and ranges, before any task runs or run is recorded
    run = open_run(project, tasks, build, env, adapter.command_argv())
    setattr(dag, _ATTR, run)
    _prepare_post_close_steps(project, run.run_id, env, tasks)


def _prepare_post_close_steps(project: Any, run_id: str, env: dict[str, Any],
                              tasks: list[Any]) -> None:
    """Call each post-close step module's optional ``prepare``; failures only cost speed."""
    from nbops.reproduce.execute import REPRODUCTION_ENV

    if os.environ.get(REPRODUCTION_ENV):
        return  # the steps will be skipped (see run_post_close_steps)
    for spec in POST_CLOSE_STEPS:
        module = importlib.import_module(spec.partition(":")[0])
        prepare = getattr(module, "prepare", None)
        if prepare is None:
            continue
        try:
            prepare(project, run_id, env, tasks)
        except Exception as exc:  # the step itself will meet the problem and report it
            logger.warning("nbops: getting %s ready failed (%s: %s); it will run unprepared",
                           spec, type(exc).__name__, exc)


def on_finish(dag: Any, report: Any) -> None:
    """Close the run as ``succeeded`` and run the post-close steps."""
    from nbops.adapters.ploomber_adapter import report_durations

    _close(dag, report_durations(report), None)


def on_failure(dag: Any, traceback: dict[str, str]) -> None:
    """Close the run as ``failed`` (task, cell, error recorded) and run the post-close steps."""
    text = "\n".join(str(v) for v in traceback.values()) or "the build failed"
    try:
        _close(dag, {}, text)
    except NbopsError as exc:  # the build already failed; say why the close failed too
        logger.error("nbops: %s", exc)


def _close(dag: Any, durations: dict[str, float], error_text: str | None) -> None:
    from nbops.adapters.ploomber_adapter import task_infos
    from nbops.runs.lifecycle import close_run

    run = getattr(dag, _ATTR, None)
    if run is None or run.closed:
        logger.warning("nbops: no open run for this build (was on_render declared?)")
        return
    try:
        context = close_run(run, task_infos(dag), durations, error_text)
        run_post_close_steps(context)
    finally:
        run.release()


def run_post_close_steps(context: Any, steps: tuple[str, ...] | None = None) -> None:
    """Call each post-close step; re-raise the first failure after all of them ran.

    A build made by ``nbops reproduce`` in its scratch copy skips them: only its
    run record is compared; gates, registry, monitoring and pages would be thrown away.
    """
    from nbops.reproduce.execute import REPRODUCTION_ENV

    if os.environ.get(REPRODUCTION_ENV):
        logger.info("nbops: reproduction build of run %s: post-close steps skipped",
                    os.environ[REPRODUCTION_ENV])
        return
    first: BaseException | None = None
    for spec in POST_CLOSE_STEPS if steps is None else steps:
        module_name, _, function_name = spec.partition(":")
        try:
            step = getattr(importlib.import_module(module_name), function_name)
            step(context)
        except Exception as exc:
            if not isinstance(exc, NbopsError):
                logger.exception("nbops: post-close step %s crashed", spec)
            first = first or exc
    if first is not None:
        raise first
