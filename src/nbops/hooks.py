"""The Ploomber DAG hooks: the glue between a ``ploomber build`` and the run ledger.

Declare them in ``pipeline.yaml``::

    on_render: nbops.hooks.on_render
    on_finish: nbops.hooks.on_finish
    on_failure: nbops.hooks.on_failure

A project that had its own DAG hooks keeps them: ``nbops init`` makes each
``nbops.hooks.<hook>`` with the project's hook as its ``project_hook`` parameter
(a dotted path, or a mapping with ``dotted_path`` and its parameters), and nbops'
hook calls it first, with the arguments Ploomber would have given it.

``on_render`` opens a run (only when the DAG is being built: ``ploomber
status`` or JupyterLab's cell injection render too, and must not record
anything); ``on_finish`` / ``on_failure`` close it, then call the
:data:`POST_CLOSE_STEPS` in order with the :class:`~nbops.runs._context.RunContext`
while the run is ``closing``, and only then write its final status.
"""

from __future__ import annotations

import atexit
import logging
import os
from typing import TYPE_CHECKING, Any

from nbops.core import GateFailure, NbopsError, crash_point

if TYPE_CHECKING:
    from nbops.adapters import TaskInfo
    from nbops.core import Project
    from nbops.runs import JsonObject, OpenRun, PostCloseStep, RunContext, StepFactory

logger = logging.getLogger("nbops")



def _registry_step() -> PostCloseStep:
    from nbops.registry import RegistryStep

    return RegistryStep()


def _card_step() -> PostCloseStep:
    from nbops.cards import CardStep

    return CardStep()


def _monitoring_step() -> PostCloseStep:
    from nbops.monitoring import MonitoringStep

    return MonitoringStep()


def _reports_step() -> PostCloseStep:
    from nbops.reports import ReportsStep

    return ReportsStep()


def _push_step() -> PostCloseStep:
    from nbops.sync import PushStep

    return PushStep()


#: What runs after the ledger closed a run, in this order: each entry makes a
#: fresh :class:`~nbops.runs._steps.PostCloseStep` for one build (its state
#: lives on the object). Gates and the registry come first (they may set the
#: outcome to ``gated``), reports last (they show the final verdict). A step
#: that raises NbopsError (e.g. GateFailure) fails the build, after the
#: remaining steps ran. The run stays ``closing`` until every step finished.
#: To add a step: one class with ``name``/``prepare``/``run``/``close`` in your
#: feature package, one factory here; or, from a plug-in package, an entry point
#: of the ``nbops.post_close_steps`` group (see :func:`post_close_factories`).
POST_CLOSE_STEPS: list[StepFactory] = [
    _registry_step,  # gates, register, promote; may gate
    _card_step,  # the model card: after the registry (version, gates), before the pages
    _monitoring_step,  # monitoring builds only: verdict, alert
    _reports_step,  # pages show final verdicts
    _push_step,  # after the pages: a failed push never fails the build
]



def post_close_factories() -> list[StepFactory]:
    """This build's step factories: :data:`POST_CLOSE_STEPS`, with the plug-ins' steps
    (entry points of ``nbops.post_close_steps``, in name order) after the monitoring
    step and before the pages, so a plug-in sees the final verdict and its manifest
    section shows on the run's page.

    Raises:
        ConfigError: a plug-in does not load or is not a step factory.
    """
    from nbops.core import POST_CLOSE_STEP_PLUGINS as GROUP
    from nbops.core import load_plugins, plugin_problem

    plugins: list[StepFactory] = []
    for name, factory in load_plugins(GROUP):
        if not callable(factory):
            raise plugin_problem(GROUP, name, "is not a step factory",
                                 "point the entry point at a class (or function) that makes "
                                 "a step with name, prepare, run and close")
        plugins.append(factory)
    at = (POST_CLOSE_STEPS.index(_reports_step) if _reports_step in POST_CLOSE_STEPS
          else len(POST_CLOSE_STEPS))
    return [*POST_CLOSE_STEPS[:at], *plugins, *POST_CLOSE_STEPS[at:]]


def _made(factory: StepFactory) -> PostCloseStep:
    from nbops.runs import PostCloseStep

    step = factory()
    if not isinstance(step, PostCloseStep):
        from nbops.core import ConfigError

        raise ConfigError(
            f"the post-close step made by {getattr(factory, '__qualname__', factory)!r} has "
            "no name, prepare, run and close",
            "give the plug-in's step class the four members of nbops.runs.PostCloseStep",
        )
    return step


_ATTR = "_nbops_open_run"
_STEPS_ATTR = "_nbops_post_close_steps"
_LIVE_ATTR = "_nbops_live_view"


class _ParentOnly:
    """A value kept on the DAG for the building process only.

    Ploomber pickles a task, and with it its DAG, into the subprocess that runs a
    PythonCallable; a live page (a thread, a lock, a closure over the DAG) cannot be
    pickled, and the subprocess has no use for it, so it arrives there as None.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (_ParentOnly, ())


def _live_view(dag: Any) -> Any:
    """The build's LiveView, "ended", or None (none started)."""
    holder = getattr(dag, _LIVE_ATTR, None)
    return holder.value if isinstance(holder, _ParentOnly) else None


def _set_live_view(dag: Any, value: Any) -> None:
    setattr(dag, _LIVE_ATTR, _ParentOnly(value))


#: ``NBOPS_LIVE_VIEW=off``: no live page, live.json or site render at the build's start
#: (the run page and the site are written once, at the end; docs/live-view.md)
LIVE_VIEW_ENV = "NBOPS_LIVE_VIEW"


def _project_for(dag: Any) -> Any:
    """The project being built: where its pipeline.yaml is, else the cwd's project.

    Never ``$NBOPS_PROJECT_ROOT``: a build started from inside another build
    (a reproduction, a test) inherits the outer project's variable.
    """
    import os

    from nbops.adapters import dag_root
    from nbops.core import Project, find_project

    root = dag_root(dag)
    return Project(root) if root is not None else find_project(os.getcwd())


def _pipeline_folder(dag: Any) -> Any:
    """The folder of the pipeline file being built (Ploomber imports hooks from there)."""
    from nbops.adapters import pipeline_file

    return pipeline_file(_project_for(dag).root).parent


def on_render(dag: Any, reproduce: Any = None, gates: Any = None, registry: Any = None,
              parameters: Any = None, project_hook: Any = None) -> None:
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
            (:mod:`nbops.core._parameters`) before any task runs or any run is
            recorded.
        project_hook: the project's own ``on_render``, called first.
    """
    from nbops.adapters import (
        build_options,
        building_one_task,
        call_project_hook,
        command_argv,
        env_file,
        factory_entry_point,
        is_building,
        keep_executed_notebooks,
        pipeline_file,
        python_env,
        resolved_env,
        see_early_stop,
        task_infos,
    )

    if project_hook is not None:
        call_project_hook(project_hook, _pipeline_folder(dag), dag=dag)
    build = build_options(dag)
    tasks: list[TaskInfo] | None = None
    if gates is not None or registry is not None:
        from nbops.registry import check_model_product, check_settings

        named = _project_for(dag) if registry is not None else None
        config = check_settings(gates, registry, "model" if named is None else named.name)
        # a partial build (`--partially NAME`) renders only NAME and what it needs: the
        # model's task may rightly be absent, and nothing is registered from it
        if named is not None and build["partially"] is None:
            tasks = task_infos(dag)
            check_model_product(registry, named, tasks, config)
    if reproduce is not None:
        from nbops.reproduce import check_tasks, parse_declaration

        check_tasks(parse_declaration(reproduce), [str(name) for name in dag])
    if not is_building(dag):
        if building_one_task():
            logger.warning("nbops: ploomber task is not recorded: Ploomber builds one task "
                           "outside DAG.build and calls no DAG hook when it ends (ploomber "
                           "build --partially NAME builds it and what it needs, recorded)")
        return
    current = getattr(dag, _ATTR, None)
    if current is not None and not current.closed:
        return
    from nbops.runs import open_run

    project = _project_for(dag)
    env_path = env_file(project.root)
    # the pipeline file, or the dotted path of the factory that built the DAG
    build["pipeline"] = factory_entry_point() or project.relative(pipeline_file(project.root))
    build["env_file"] = None if env_path is None else project.relative(env_path)
    tasks = task_infos(dag) if tasks is None else tasks
    snapshots = _snapshot_sources(dag, project, tasks, registry)
    if any(snap.changed for snap in snapshots):
        tasks = task_infos(dag)  # the steps reading a changed result now run
    # the pipeline and env a Python script gave DAGSpec, else the env file with overrides
    scripted = python_env(dag)
    env = resolved_env(project.root) if scripted is None else scripted[1]
    if scripted is not None:
        build["pipeline"] = project.relative(scripted[0])
    from nbops.core import check_parameters

    check_parameters(env)  # declared types and ranges, before any task runs or run is recorded
    if not _skipped_for_reproduction():
        post_close_factories()  # a broken plug-in fails here, before a run is recorded
    sources = None
    if snapshots:
        from nbops.sources import section

        sources = section(snapshots)
    run = open_run(project, tasks, build, env, command_argv(), sources=sources)
    setattr(dag, _ATTR, run)
    # notebooks saved as .html/.md/...: keep the executed .ipynb for the run record
    _unless_it_fails("keeping the executed notebooks of converted notebook products",
                     keep_executed_notebooks, dag, project.state_dir / "executed")
    _unless_it_fails("watching for DAGBuildEarlyStop",  # recorded, exit status 0
                     see_early_stop, dag, _stopped_early)
    _say_what_is_not_stored(tasks)
    setattr(dag, _STEPS_ATTR, prepare_post_close_steps(project, run.run_id, env, tasks))
    _set_live_view(dag, None)  # this build's, none yet
    if not _skipped_for_reproduction() and os.environ.get(LIVE_VIEW_ENV, "") != "off":
        _unless_it_fails("starting the live page", _start_live_view, dag, project, run,
                         not any(info.will_run for info in tasks))


def _start_live_view(dag: Any, project: Any, run: Any, idle: bool = False) -> None:
    """The run page refreshes itself while the build runs (nbops.reports.LiveView);
    ``idle``: no task will run, the page and the site are rendered once, at the end."""
    from nbops.adapters import build_task_states
    from nbops.reports import SITE_DEFERRED_ENV, LiveView

    live = LiveView(project.run_dir(run.run_id), run.manifest, lambda: build_task_states(dag),
                    site=not os.environ.get(SITE_DEFERRED_ENV), idle=idle)
    live.start()
    _set_live_view(dag, live)
    # Ctrl-C before the close: the run is marked interrupted first, then the page (the
    # ledger's own exit handler, registered earlier, would run after this one)
    atexit.register(_abandoned_at_exit, dag, run)


def _abandoned_at_exit(dag: Any, run: Any) -> None:
    if _live_view(dag) in (None, "ended"):
        return  # the close ended the live page
    status = _ledger_status(run)
    try:
        run.abandon()
    finally:
        _end_live_view(dag, status)


def _ledger_status(run: Any) -> str:
    """What the ledger will hold once ``run.abandon()`` ran: its final status if the
    close wrote it (read before abandoning, which marks the context finished), else
    ``interrupted``."""
    if run.context is not None and run.finished:
        return str(run.context.manifest["status"])
    return "interrupted"


def _live_view_closing(dag: Any) -> None:
    live = _live_view(dag)
    if live is not None and live != "ended":
        _unless_it_fails("updating the live page", live.closing)


def _end_live_view(dag: Any, status: str) -> None:
    """The run is final (or interrupted): the page stops refreshing, the site shows it.

    Without a live view (``NBOPS_LIVE_VIEW=off``, or it could not start) the site is
    rendered here, once, as the live view would have.
    """
    live = _live_view(dag)
    if live == "ended":
        return
    _set_live_view(dag, "ended")
    if live is not None:
        atexit.unregister(_abandoned_at_exit)
        _unless_it_fails("ending the live page", live.end, status)
    elif not _skipped_for_reproduction():
        _unless_it_fails("rendering the site", _end_without_live_view, dag, status)


def _run_ended(dag: Any, run: Any, status: str) -> None:
    """The run is final: its live page ends (a build's) or its page and the site are
    brought up to date (a run closed by ``nbops run close``)."""
    if dag is not None:
        _end_live_view(dag, status)
    else:
        _unless_it_fails("rendering the site", _end_pages, run, status)


def _end_without_live_view(dag: Any, status: str) -> None:
    _end_pages(getattr(dag, _ATTR), status)


def _end_pages(run: Any, status: str) -> None:
    from nbops.reports import SITE_DEFERRED_ENV, end_live_page, render_site

    end_live_page(run.project.run_dir(run.run_id), status)
    if not os.environ.get(SITE_DEFERRED_ENV):
        render_site(run.project.reports_dir)


def _snapshot_sources(dag: Any, project: Project, tasks: list[TaskInfo],
                      registry: Any) -> list[Any]:
    """Snapshot every query source the tasks read; re-run the readers of a changed result.

    Runs before the run is opened: a query that cannot run, or a result without rows,
    its target or a column type the champion was trained on, stops the build here with
    its one sentence, before any task ran or any run was recorded.
    """
    from nbops.sources import find_query_sources

    params = {info.name: info.params for info in tasks}
    if not find_query_sources(params, project.root):
        return []  # before importing the snapshot machinery: most pipelines have no query
    from nbops.adapters import rerun
    from nbops.sources import snapshot_sources

    def readers_rerun(source: Any) -> None:  # before the new snapshot replaces the old
        if not _will_run(tasks, source.task):
            marked = rerun(dag, [source.task])
            logger.info("nbops: the query result read by %s changed: %s will run",
                        source.task, ", ".join(marked))

    return snapshot_sources(params, project.root, reproduction=_skipped_for_reproduction(),
                            reference=lambda source: _champion_columns(project, registry,
                                                                       source.name),
                            before_replace=readers_rerun)


def _will_run(tasks: list[TaskInfo], name: str) -> bool:
    return any(info.name == name and info.will_run for info in tasks)


def _champion_columns(project: Project, registry: Any,
                      name: str) -> tuple[list[dict[str, str]], str] | None:
    """The columns source ``name`` had in the run that trained the model now in service."""
    from nbops.core import NbopsError
    from nbops.registry import default_model_name, read_local_registry, resolve_version
    from nbops.runs import load_manifest

    model = (registry or {}).get("model") if isinstance(registry, dict) else None
    model = model or default_model_name(project.name)
    try:
        version = resolve_version(read_local_registry(project.root), f"{model}@champion")
        trainer = version["run_id"]
        if trainer is None:
            return None  # registered outside a run: no columns recorded to compare with
        manifest = load_manifest(project, trainer)
    except (NbopsError, KeyError, OSError):
        return None  # no champion (yet): nothing to compare the columns with
    entry = (manifest.get("sources") or {}).get(name)
    if entry is None or not entry["columns"]:
        return None
    return [{"name": column["name"], "type": column["type"]} for column in entry["columns"]], \
        f"the champion ({model} v{version['version']})"


def _unless_it_fails(what: str, action: Any, *args: Any) -> None:
    """Adapt the DAG for a fuller record; a DAG nbops cannot adapt still builds."""
    try:
        action(*args)
    except Exception as exc:  # an unusual task class: the run is recorded with less
        logger.warning("nbops: %s failed (%s: %s); the build goes on and the run records "
                       "less", what, type(exc).__name__, exc)


def _say_what_is_not_stored(tasks: list[TaskInfo]) -> None:
    """One sentence, once per build, for products nbops records by name only."""
    names = [name for info in tasks for name in info.unstored.values()]
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        logger.warning("nbops: %d product(s) are not files (%s): the run records them by "
                       "name only, and nbops neither stores nor verifies their content",
                       len(names), shown)


def _skipped_for_reproduction() -> bool:
    from nbops.reproduce import REPRODUCTION_ENV

    return bool(os.environ.get(REPRODUCTION_ENV))


def prepare_post_close_steps(project: Project, run_id: str, env: JsonObject,
                             tasks: list[TaskInfo]) -> list[PostCloseStep]:
    """Make this build's steps and call each one's ``prepare``; failures only cost speed."""
    from nbops.runs import OpenContext

    if _skipped_for_reproduction():
        return []  # the steps will be skipped (see run_post_close_steps)
    steps = [_made(factory) for factory in post_close_factories()]
    ctx = OpenContext(project, run_id, env, tasks)
    for step in steps:
        try:
            step.prepare(ctx)
        except Exception as exc:  # the step itself will meet the problem and report it
            logger.warning("nbops: getting %s ready failed (%s: %s); it will run unprepared",
                           step.name, type(exc).__name__, exc)
    return steps


def on_finish(dag: Any, report: Any, project_hook: Any = None) -> None:
    """Close the run (to be ``succeeded``), run the post-close steps, then finish it.

    The project's own ``on_finish`` (``project_hook``) runs first; if it raises, the
    build fails (as Ploomber fails it), so the run is closed as ``failed`` with its error.
    """
    from nbops.adapters import report_durations

    if project_hook is not None:
        from nbops.adapters import call_project_hook

        try:
            call_project_hook(project_hook, _pipeline_folder(dag), dag=dag, report=report)
        except Exception as exc:
            import traceback as tb

            _close_failed(dag, "on_finish hook failed:\n" + "".join(tb.format_exception(exc)))
            raise
    _close(dag, report_durations(report), None)


def on_failure(dag: Any, traceback: dict[str, str], project_hook: Any = None) -> None:
    """Close the run (to be ``failed``: task, cell, error recorded), run the steps, finish it.

    The project's own ``on_failure`` (``project_hook``) runs first; the run is closed
    whether or not it raises.
    """
    text = "\n".join(str(v) for v in traceback.values()) or "the build failed"
    try:
        if project_hook is not None:
            from nbops.adapters import call_project_hook

            call_project_hook(project_hook, _pipeline_folder(dag), dag=dag, traceback=traceback)
    finally:
        _close_failed(dag, text)


def _close_failed(dag: Any, text: str) -> None:
    try:
        _close(dag, {}, text, finishing=False)
    except NbopsError as exc:  # the build already failed; say why the close failed too
        logger.error("nbops: %s", exc)


def _stopped_early(dag: Any, reason: str) -> None:
    """A task raised DAGBuildEarlyStop: close the run (``succeeded``, stopped early)."""
    _close(dag, {}, None, stopped_early=reason)


def _close(dag: Any, durations: dict[str, float], error_text: str | None,
           stopped_early: str | None = None, finishing: bool = True) -> None:
    """Close the run (``closing``), run every post-close step, then write its final status.

    A step's :class:`~nbops.core.NbopsError` (failed gates, a model the team remote did
    not register) fails the build. Under ``ploomber build`` the build summary, written
    at exit, is then the verdict block (the failed gates with values and thresholds, the
    registry's sentence, the run page): the build exits 1 without Ploomber's wrapper
    around the same message (``Exception when running on_finish…``, the gate list a
    second time, its community link). Elsewhere (a DAG built from Python) it is raised.

    If anything stops the close before the final status is written (Ctrl-C,
    an error in the ledger itself), the run is marked ``interrupted`` from
    this process's own record; ``kill -9`` leaves it ``closing`` for the
    next reader to find (its build's pid is dead).
    """
    from nbops.adapters import task_infos

    run = getattr(dag, _ATTR, None)
    steps: list[PostCloseStep] = getattr(dag, _STEPS_ATTR, None) or []
    if run is None or run.closed:
        logger.warning("nbops: no open run for this build (was on_render declared?)")
        return
    failure = close_and_finish(run, task_infos(dag), durations, error_text, steps,
                               stopped_early=stopped_early, dag=dag)
    if failure is not None:
        if finishing and isinstance(failure, NbopsError) and _verdict_at_exit(run.run_id):
            if not isinstance(failure, GateFailure):  # the summary lists failed gates itself
                _add_build_error(run.run_id, failure.message)
            raise SystemExit(1)
        raise failure


def close_and_finish(run: OpenRun, tasks: list[TaskInfo], durations: dict[str, float],
                     error_text: str | None, steps: list[PostCloseStep],
                     stopped_early: str | None = None, dag: Any = None) -> Exception | None:
    """Close ``run``, run every post-close step, write its final status, release it.

    The one sequence that ends a run, whoever built its tasks (``ploomber build``'s
    hooks, or ``nbops run close`` for a run whose tasks ran under another scheduler).
    Returns the first step's failure (for the caller to report), after all ran.
    ``dag``: the build's DAG, whose live page this ends (None: no live page; the
    run's page is ended and the site rendered all the same).
    """
    from nbops.runs import close_run

    try:
        if dag is not None:
            _live_view_closing(dag)
        context = close_run(run, tasks, durations, error_text, stopped_early=stopped_early)
        # steps that only read the finished run (auto push: only final runs are pushed)
        # run after the final status is written
        after = [step for step in steps if getattr(step, "after_finish", False)]
        failure = run_post_close_steps(context, [s for s in steps if s not in after])
        context.finish()
        _run_ended(dag, run, str(context.manifest["status"]))
        failure = run_post_close_steps(context, after) or failure
    except BaseException:
        status = _ledger_status(run)
        try:
            run.abandon()
        except Exception as exc:  # the original error matters more; say what else failed
            logger.error("nbops: run %s could not be marked interrupted (%s)", run.run_id, exc)
        # the page shows what the ledger holds: interrupted, or the final status a
        # Ctrl-C right after it was written could not take back
        _run_ended(dag, run, status)
        raise
    finally:
        for step in steps:
            _close_step(step)
        run.release()
    return failure


def _verdict_at_exit(run_id: str) -> bool:
    from nbops.reports import verdict_at_exit

    return bool(verdict_at_exit(run_id))


def _add_build_error(run_id: str, message: str) -> None:
    from nbops.reports import add_build_error

    add_build_error(run_id, message)


def _close_step(step: PostCloseStep) -> None:
    try:
        step.close()
    except Exception as exc:  # a helper that will not stop must not fail the build
        logger.warning("nbops: closing post-close step %s failed (%s)", step.name, exc)


def run_post_close_steps(context: RunContext, steps: list[PostCloseStep]) -> Exception | None:
    """Run each step on the closing run; return the first failure (after all of them ran).

    A build made by ``nbops reproduce`` in its scratch copy skips them: only its
    run record is compared; gates, registry, monitoring and pages would be thrown away.
    """
    if _skipped_for_reproduction():
        logger.info("nbops: reproduction build of run %s: post-close steps skipped",
                    context.run_id)
        return None
    first: Exception | None = None
    for step in steps:
        crash_point(f"close.step.{step.name}.started")
        try:
            step.run(context)
        except Exception as exc:
            if not isinstance(exc, NbopsError):
                logger.exception("nbops: post-close step %s crashed", step.name)
            first = first or exc
        crash_point(f"close.step.{step.name}.finished")
    return first
