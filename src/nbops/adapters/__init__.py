"""Adapters: the only modules that import Ploomber or Papermill."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.adapters._converted_notebooks import keep_executed_notebooks
    from nbops.adapters._early_stop import see_early_stop
    from nbops.adapters._outdated import rerun
    from nbops.adapters._papermill_adapter import (
        execution_duration,
        injected_values,
        is_error_banner,
        is_injected_parameters,
        kernel_name,
        papermill_metadata,
    )
    from nbops.adapters._ploomber_adapter import (
        TaskInfo,
        build_one_task,
        build_options,
        build_task_states,
        building_one_task,
        call_project_hook,
        command_argv,
        dag_root,
        env_file,
        factory_entry_point,
        format_task_exception,
        is_building,
        load_dag,
        loaded_from,
        metadata_path,
        pipeline_file,
        ploomber_command,
        python_env,
        render_loaded,
        render_tasks,
        report_durations,
        resolved_env,
        run_ploomber_cli,
        task_infos,
        under_ploomber_cli,
    )
    from nbops.adapters._ploomber_errors import root_error
    from nbops.adapters._ploomber_status import TaskState, task_states

__all__ = [
    "TaskInfo", "TaskState", "build_one_task", "build_options", "build_task_states",
    "building_one_task", "call_project_hook", "command_argv", "dag_root", "env_file",
    "execution_duration", "factory_entry_point", "format_task_exception", "injected_values",
    "is_building", "is_error_banner", "is_injected_parameters", "keep_executed_notebooks",
    "kernel_name", "load_dag", "loaded_from", "metadata_path", "papermill_metadata",
    "pipeline_file", "ploomber_command", "python_env", "render_loaded", "render_tasks",
    "report_durations", "rerun", "resolved_env", "root_error", "run_ploomber_cli",
    "see_early_stop", "task_infos", "task_states", "under_ploomber_cli",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_converted_notebooks": ("keep_executed_notebooks",),
        "_early_stop": ("see_early_stop",),
        "_outdated": ("rerun",),
        "_papermill_adapter": (
            "execution_duration", "injected_values", "is_error_banner", "is_injected_parameters",
            "kernel_name", "papermill_metadata",
        ),
        "_ploomber_adapter": (
            "TaskInfo", "build_one_task", "build_options", "building_one_task", "call_project_hook",
            "command_argv", "dag_root", "env_file", "factory_entry_point", "format_task_exception",
            "is_building",
            "load_dag", "loaded_from", "metadata_path", "pipeline_file", "ploomber_command",
            "python_env", "render_loaded", "render_tasks", "report_durations", "resolved_env",
            "run_ploomber_cli", "task_infos", "build_task_states", "under_ploomber_cli",
        ),
        "_ploomber_errors": ("root_error",),
        "_ploomber_status": ("TaskState", "task_states"),
    })
