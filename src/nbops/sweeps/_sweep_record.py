"""The sweep record, ``reports/sweeps/<name>/sweep.json``: space, sampler, trials, best.

Written atomically after every change (a trial starting, a trial finishing), and
validated against ``sweep.schema.json`` on every read and write, so a killed
sweep leaves a record that ``nbops sweep --resume NAME`` can trust: trials
``succeeded``/``failed``/``gated`` are final and never run again; a ``running``
trial is matched to its run in the ledger (by its tags) or run again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nbops.contracts import SWEEP_RECORD, SweepRecord, SweepTrial
from nbops.core import (
    ConfigError,
    IntegrityError,
    Project,
    atomic_write_json,
    crash_point,
    schema_errors,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FINAL = ("succeeded", "failed", "gated")


def check_name(name: str) -> str:
    """``name`` if it can name a sweep (and its folder).

    Raises:
        ConfigError: it cannot.
    """
    if not NAME.match(name):
        raise ConfigError(f"Sweep name {name!r} is not a plain name",
                          "use a letter or digit, then letters, digits or _.- (64 at most)")
    return name


def sweeps_dir(project: Project) -> Path:
    """``reports/sweeps/``: one folder per sweep, beside the runs."""
    return project.reports_dir / "sweeps"


def sweep_dir(project: Project, name: str) -> Path:
    """The folder of sweep ``name``: ``sweep.json``, ``index.html``."""
    return sweeps_dir(project) / check_name(name)


def record_path(project: Project, name: str) -> Path:
    """``reports/sweeps/<name>/sweep.json``."""
    return sweep_dir(project, name) / "sweep.json"


def state_dir(project: Project, name: str) -> Path:
    """``.nbops/sweeps/<name>/``: the sweep's working state (lock, sampler storage, logs)."""
    return project.state_dir / "sweeps" / check_name(name)


def exists(project: Project, name: str) -> bool:
    """Whether sweep ``name`` has a record."""
    return record_path(project, name).is_file()


def read(project: Project, name: str) -> SweepRecord:
    """The validated record of sweep ``name``.

    Raises:
        ConfigError: no such sweep.
        IntegrityError: the file is unreadable or does not match its schema.
    """
    path = record_path(project, name)
    if not path.is_file():
        known = sorted(p.name for p in sweeps_dir(project).glob("*/sweep.json")) if \
            sweeps_dir(project).is_dir() else []
        raise ConfigError(f"No sweep named {name!r} in this project",
                          "start it with nbops sweep --name NAME …" + (
                              f" (sweeps here: {', '.join(p for p in known)})" if known else ""))
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntegrityError(f"The sweep record {path} is not valid JSON ({exc})",
                             "restore it from a backup, or delete the folder and start "
                             "the sweep again") from None
    data = SWEEP_RECORD.upgrade(data, f"The sweep record {path}")
    errors = schema_errors(data, "sweep")
    if errors:
        raise IntegrityError(f"The sweep record {path} is invalid: {errors[0]}",
                             "restore it from a backup, or delete the folder and start "
                             "the sweep again")
    record: SweepRecord = data
    return record


def write(project: Project, record: SweepRecord, point: str) -> None:
    """Validate and atomically replace the record; ``point`` names this durable step."""
    errors = schema_errors(record, "sweep")
    if errors:
        raise ValueError(f"invalid sweep record: {errors[0]}")
    atomic_write_json(record_path(project, record["name"]), record)
    crash_point(point)


def finished(record: SweepRecord) -> list[SweepTrial]:
    """The trials with a final status."""
    return [trial for trial in record["trials"] if trial["status"] in FINAL]


def best_trial(record: SweepRecord) -> SweepTrial | None:
    """The succeeded trial with the best objective value (earliest on ties), or None."""
    scored = [(t["value"], t) for t in record["trials"]
              if t["status"] == "succeeded" and t["value"] is not None]
    if not scored:
        return None
    sign = 1.0 if record["objective"]["direction"] == "maximize" else -1.0
    return max(scored, key=lambda pair: (sign * pair[0], -pair[1]["number"]))[1]


def changed_keys(record: SweepRecord) -> list[str]:
    """The parameters whose value is not the same in every trial (a leaderboard's columns)."""
    keys: dict[str, set[str]] = {}
    for trial in record["trials"]:
        for key, value in trial["params"].items():
            keys.setdefault(key, set()).add(repr(value))
    return [key for key, values in keys.items()
            if len(values) > 1 or len(record["trials"]) == 1]


def leaderboard(record: SweepRecord) -> list[SweepTrial]:
    """The finished trials, best first: succeeded by objective (earliest on ties), then
    gated ones by objective, then the rest (failed, no value) by number."""
    sign = 1.0 if record["objective"]["direction"] == "maximize" else -1.0
    rank = {"succeeded": 0, "gated": 1}

    def key(trial: SweepTrial) -> tuple[int, float, int]:
        value = trial["value"]
        if value is None or trial["status"] not in rank:
            return (3, 0.0, trial["number"])
        return (rank[trial["status"]], -sign * value, trial["number"])

    return sorted(finished(record), key=key)
