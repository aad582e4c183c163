"""Sweeps: many runs from one command over ``env.yaml`` keys, reusing what did not change.

A sweep is a record (``reports/sweeps/<name>/sweep.json``, schema
``sweep.schema.json``) and a set of ordinary runs of the ledger, one per trial,
tagged with the sweep's id and the trial's number. :mod:`._plan` checks a request
and writes the record, :mod:`._samplers` draws the trials (grid, random, Optuna
TPE), :mod:`._runner` runs them (restoring unchanged products through
:mod:`nbops.runs._reuse`), :mod:`._register` gates the best one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.sweeps._launchers import DaskLauncher, close_servers, start_servers
    from nbops.sweeps._plan import SweepRequest, create_sweep
    from nbops.sweeps._register import register_best
    from nbops.sweeps._runner import run_sweep
    from nbops.sweeps._sweep_record import changed_keys as changed_parameters
    from nbops.sweeps._sweep_record import exists as sweep_exists
    from nbops.sweeps._sweep_record import finished as finished_trials
    from nbops.sweeps._sweep_record import leaderboard
    from nbops.sweeps._sweep_record import read as read_sweep
    from nbops.sweeps._trial_build import load_ahead as load_trial_ahead
    from nbops.sweeps._trial_build import main as build_trial
    from nbops.sweeps._watch import SweepEvent, follow_sweep, running_sweep, sweep_exit_code

__all__ = [
    "DaskLauncher", "SweepEvent", "SweepRequest", "build_trial", "changed_parameters",
    "close_servers", "create_sweep", "finished_trials", "follow_sweep", "leaderboard",
    "load_trial_ahead", "read_sweep", "register_best", "run_sweep", "running_sweep",
    "start_servers", "sweep_exists", "sweep_exit_code",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_launchers": ("DaskLauncher", "close_servers", "start_servers"),
        "_plan": ("SweepRequest", "create_sweep"),
        "_register": ("register_best",),
        "_runner": ("run_sweep",),
        "_sweep_record": (
            "changed_parameters=changed_keys", "finished_trials=finished", "leaderboard",
            "read_sweep=read", "sweep_exists=exists",
        ),
        "_trial_build": ("build_trial=main", "load_trial_ahead=load_ahead"),
        "_watch": ("SweepEvent", "follow_sweep", "running_sweep", "sweep_exit_code"),
    })
