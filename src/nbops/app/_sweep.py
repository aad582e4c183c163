"""A sweep from plan to registration: plan or resume, run every trial, register the best.

Features meet here: :mod:`nbops.sweeps` plans and runs the trials, :mod:`nbops.registry`
supplies the default objective and gates the best trial's model, :mod:`nbops.reports`
writes the sweep's page after every change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.core import ConfigError, Project, build_command

if TYPE_CHECKING:
    from nbops.contracts import SweepRecord

Echo = Callable[[str], None]


@dataclass
class SweepOptions:
    """What ``nbops sweep`` was asked (see its ``--help``); ``resume`` names a sweep to
    finish instead of planning a new one."""

    pipeline: str = "pipeline.yaml"
    grids: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    sampler: str | None = None
    trials: int | None = None
    objective: str | None = None
    direction: str | None = None
    name: str | None = None
    seed: int = 0
    workers: int = 1
    dask: str | None = None
    resume: str | None = None
    register_best: bool = False


@dataclass
class SweepOutcome:
    """The sweep's record after its last trial (and registration), and its page."""

    record: SweepRecord
    page: Path


def objective_of(env: Mapping[str, object], objective: str | None, direction: str | None
                 ) -> tuple[str, str]:
    """The objective (default: the registry's primary metric) and its direction."""
    from nbops.registry import METRIC_DIRECTIONS, parse_registry_config

    if objective is None:
        if env.get("registry") is None:
            raise ConfigError("This project has no registry: section to take an objective from",
                              "name the metric to optimise with --objective METRIC")
        objective = parse_registry_config(env["registry"]).primary_metric
    if direction is None:
        higher = METRIC_DIRECTIONS.get(objective, True)
        direction = "maximize" if higher else "minimize"
    return objective, direction


def sweep(project: Project, options: SweepOptions, echo: Echo) -> SweepOutcome:
    """Plan (or resume) the sweep, run its trials, register the best when asked.

    Raises:
        ConfigError: a bad plan (unknown key, wrong values…) or ``--resume`` with new
            parameters, before any trial runs.
    """
    from nbops.sweeps import read_sweep

    pipeline, name = options.pipeline, options.name
    if options.resume is not None:
        if options.grids or options.params or options.fixed:
            raise ConfigError("--resume continues a sweep as it was planned",
                              "drop --grid, --param and --env-- when resuming")
        name = options.resume
        pipeline = read_sweep(project, name)["pipeline"]
    if options.dask is not None:
        return _sweep(project, options, pipeline, name, echo)
    from nbops.sweeps import close_servers, start_servers

    # the trial servers import Ploomber while this plans the sweep; they end with it, not
    # at the process's exit (a caller in the same process, a test or a notebook, goes on)
    start_servers(1 if options.resume is not None else options.workers, project.root / pipeline)
    try:
        return _sweep(project, options, pipeline, name, echo)
    finally:
        close_servers()


def _sweep(project: Project, options: SweepOptions, pipeline: str, name: str | None,
           echo: Echo) -> SweepOutcome:
    from nbops.adapters import resolved_env

    env = resolved_env(project.root, build_command("ploomber", entry_point=pipeline))
    if options.resume is None:
        name = _plan(project, options, env, echo)
    assert name is not None
    record = _run(project, name, options.dask, env.get("registry") is not None, echo)
    page = _write_page(project, record)
    if options.register_best:
        from nbops.sweeps import register_best

        record = register_best(project, record, echo)
        page = _write_page(project, record)
    return SweepOutcome(record, page)


def _plan(project: Project, options: SweepOptions, env: Mapping[str, object], echo: Echo
          ) -> str:
    from nbops.sweeps import SweepRequest, create_sweep

    metric, way = objective_of(env, options.objective, options.direction)
    request = SweepRequest(options.name, options.pipeline, metric, way, options.grids,
                           options.params, options.fixed, options.sampler, options.trials,
                           options.seed, options.workers)
    record = create_sweep(project, request, env)
    echo(f"sweep {record['name']}: {record['budget']} trial(s), "
         f"{record['sampler']['kind']} sampler, objective {metric} ({way})")
    return str(record["name"])


def _run(project: Project, name: str, dask: str | None, has_registry: bool,
         echo: Echo) -> SweepRecord:
    from nbops.sweeps import run_sweep

    launcher = None
    if dask is not None:
        from nbops.sweeps import DaskLauncher, read_sweep

        launcher = DaskLauncher(dask, read_sweep(project, name)["workers"])
    try:
        return run_sweep(project, name, has_registry, echo,
                         on_change=lambda rec: _write_page(project, rec, live=True),
                         **({} if launcher is None else {"launch": launcher}))
    finally:
        if launcher is not None:
            launcher.close()


def _write_page(project: Project, record: SweepRecord, live: bool = False) -> Path:
    """The sweep page; ``live`` while its trials run (it reloads itself until the last
    render, after the sweep ended, which has no refresh)."""
    from nbops.reports import write_sweep_page

    return write_sweep_page(project, record, live=live)
