"""Runs whose tasks an outside scheduler runs (Apache Airflow), recorded as local builds are.

    export_airflow(project, …)          ``nbops export airflow``: the pipeline as a DAG file
    open_remote_run(project, params)    ``nbops run open``: open a run on the team remote
    run_remote_task(project, run, name) ``nbops task run``: one task on any worker
    close_remote_run(project, run)      ``nbops run close``: gates, registry, pages, seal, push
    override_argv(params)               trigger-time parameters as ``--env--`` overrides

Sits above :mod:`nbops.hooks`: a scheduled run is closed by the same sequence as a
local build (``close_and_finish`` and the post-close steps). See docs/airflow.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.orchestration._airflow import export_airflow
    from nbops.orchestration._close import Closed, close_remote_run
    from nbops.orchestration._open import open_remote_run
    from nbops.orchestration._overrides import override_argv, parse_params
    from nbops.orchestration._task import run_remote_task

__all__ = [
    "Closed", "close_remote_run", "export_airflow", "open_remote_run", "override_argv",
    "parse_params", "run_remote_task",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_airflow": ("export_airflow",),
        "_close": ("Closed", "close_remote_run"),
        "_open": ("open_remote_run",),
        "_overrides": ("override_argv", "parse_params"),
        "_task": ("run_remote_task",),
    })
