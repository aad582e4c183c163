"""The sweep record: ``reports/sweeps/<name>/sweep.json``.

``SweepRecord`` mirrors ``nbops/core/schemas/sweep.schema.json``; nbops.sweeps writes it
after every change and reads it back on ``--resume``, the reports feature renders it and
``nbops sweep`` prints it. ``tests/nbops/contracts`` keeps each type's keys equal to its
schema's properties. A trial's ``params`` and the sweep's ``fixed`` values are env.yaml
values: free-form JSON. (No ``from __future__ import annotations``: ``NotRequired`` must
be seen at run time.)
"""

from typing import Literal, NotRequired, TypedDict

from nbops.contracts._json import JSONObject, JSONValue


class SweepSampler(TypedDict):
    """``sampler``: how trials are chosen (``grid``, ``random``, ``tpe``) and its seed."""

    kind: str
    seed: int


class SweepDimension(TypedDict):
    """One varying key of ``space``: listed values (grid, choice) or a range."""

    kind: str
    values: NotRequired[list[JSONValue]]
    low: NotRequired[float | None]
    high: NotRequired[float | None]
    log: NotRequired[bool]


class SweepObjective(TypedDict):
    """``objective``: the metric a trial is scored by, and which way is better."""

    metric: str
    direction: str


class SweepTrial(TypedDict):
    """One trial: its parameters, its run and how it ended (``trials[i]``)."""

    number: int
    params: JSONObject
    status: str
    run_id: str | None
    value: float | None
    started_at: NotRequired[str | None]
    finished_at: NotRequired[str | None]
    duration_s: NotRequired[float | None]
    reused: NotRequired[list[str]]
    executed: NotRequired[list[str]]
    note: NotRequired[str | None]
    ran_on: NotRequired[str]
    sampler_trial: NotRequired[int | None]


class SweepBest(TypedDict):
    """``best``: the succeeded trial with the best objective value."""

    number: int
    run_id: str
    value: float


class SweepRegistered(TypedDict):
    """``registered``: the build that gated and registered the best trial's model."""

    trial: int
    run_id: str
    status: str
    decision: str
    version: int | None


class SweepRecord(TypedDict):
    """One sweep record."""

    schema_version: Literal[1]
    name: str
    id: str
    created_at: str
    pipeline: str
    sampler: SweepSampler
    space: dict[str, SweepDimension]
    fixed: JSONObject
    objective: SweepObjective
    budget: int
    workers: int
    trials: list[SweepTrial]
    best: SweepBest | None
    registered: NotRequired[SweepRegistered]
