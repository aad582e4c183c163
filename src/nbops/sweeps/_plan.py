"""Create a sweep: check everything a user typed, before any trial runs, then write its record.

Every check here is one sentence naming the problem and the fix: an unknown
``env.yaml`` key, a value of the wrong type, an empty grid, a range given to the
grid sampler, a sweep name already taken, an objective metric that no earlier
run of the project ever logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nbops.contracts import SweepRecord
from nbops.core import ConfigError, Project, new_run_id, utc_now_iso
from nbops.runs import list_runs
from nbops.sweeps import _sweep_record as records
from nbops.sweeps._runner import new_trial
from nbops.sweeps._samplers import SAMPLERS, planned_trials
from nbops.sweeps._space import Dimension, parse_fixed, parse_grid, parse_param


@dataclass
class SweepRequest:
    """What ``nbops sweep`` was asked, before it is checked."""

    name: str | None
    pipeline: str
    objective: str
    direction: str
    grids: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    sampler: str | None = None
    trials: int | None = None
    seed: int = 0
    workers: int = 1


def known_metrics(project: Project) -> set[str]:
    """Every metric a finished run of this project logged (empty for a new project)."""
    return {name for summary in list_runs(project)
            if summary["status"] in ("succeeded", "gated") for name in summary["metrics"]}


def _space(request: SweepRequest, env: Mapping[str, Any]) -> list[Dimension]:
    space = [parse_grid(text, env) for text in request.grids]
    space += [parse_param(text, env) for text in request.params]
    if not space:
        raise ConfigError("A sweep needs at least one parameter to vary",
                          "add --grid KEY=V1,V2 or --param KEY=float:LOW:HIGH")
    keys = [dim.key for dim in space]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"Sweep parameter {twice[0]!r} is given more than once",
                          "give each key one --grid or --param")
    return space


def create_sweep(project: Project, request: SweepRequest, env: Mapping[str, Any]
                 ) -> SweepRecord:
    """Check ``request`` against the project and write the new sweep's record.

    Raises:
        ConfigError: anything that would make a trial fail or mean something else.
    """
    name = records.check_name(request.name or "sweep-" + new_run_id()[:15].lower())
    if records.exists(project, name):
        raise ConfigError(f"A sweep named {name!r} already exists",
                          f"resume it with nbops sweep --resume {name}, or pick another --name")
    space = _space(request, env)
    fixed = parse_fixed(request.fixed, env)
    clash = sorted(set(fixed) & {dim.key for dim in space})
    if clash:
        raise ConfigError(f"{clash[0]!r} is both varied and fixed (--env--)",
                          "drop one of the two")
    kind = request.sampler or ("grid" if all(d.kind == "grid" for d in space) else "random")
    if kind not in SAMPLERS:
        raise ConfigError(f"Unknown sampler {kind!r}", f"use one of {', '.join(SAMPLERS)}")
    if request.trials is not None and request.trials < 1:
        raise ConfigError(f"--trials {request.trials} leaves nothing to run",
                          "give --trials 1 or more")
    if request.workers < 1:
        raise ConfigError(f"--workers {request.workers} cannot run a trial",
                          "give --workers 1 or more")
    if kind == "tpe" and request.trials is None:
        raise ConfigError("A tpe sweep needs a trial budget", "add --trials N")
    if request.direction not in ("maximize", "minimize"):
        raise ConfigError(f"--direction {request.direction!r} is not a direction",
                          "use maximize or minimize")
    known = known_metrics(project)
    if known and request.objective not in known:
        raise ConfigError(f"No run of this project logged the objective metric "
                          f"{request.objective!r}",
                          f"pick one it logs with --objective: {', '.join(sorted(known))}")
    planned = planned_trials(kind, space, request.seed, request.trials)
    budget = len(planned) if kind != "tpe" else int(request.trials or 0)
    record: SweepRecord = {
        "schema_version": 1,
        "name": name,
        "id": f"{name}@{utc_now_iso()}",
        "created_at": utc_now_iso(),
        "pipeline": request.pipeline,
        "sampler": {"kind": kind, "seed": request.seed},
        "space": {dim.key: dim.to_dict() for dim in space},
        "fixed": fixed,
        "objective": {"metric": request.objective, "direction": request.direction},
        "budget": budget,
        "workers": request.workers,
        "trials": [new_trial(number, params) for number, params in enumerate(planned, 1)],
        "best": None,
    }
    records.sweep_dir(project, name).mkdir(parents=True, exist_ok=True)
    records.write(project, record, "sweep.created")
    return record
