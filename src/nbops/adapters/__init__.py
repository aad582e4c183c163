"""Adapters: the only modules that import Ploomber or Papermill."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
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
        build_options,
        command_argv,
        dag_root,
        env_file,
        format_task_exception,
        is_building,
        load_dag,
        loaded_from,
        metadata_path,
        pipeline_file,
        ploomber_command,
        render_loaded,
        render_tasks,
        report_durations,
        resolved_env,
        task_infos,
        under_ploomber_cli,
    )

__all__ = [
    "TaskInfo", "build_options", "command_argv", "dag_root", "env_file", "execution_duration",
    "format_task_exception", "injected_values", "is_building", "is_error_banner",
    "is_injected_parameters", "kernel_name", "load_dag", "loaded_from", "metadata_path",
    "papermill_metadata", "pipeline_file", "ploomber_command", "render_loaded", "render_tasks",
    "report_durations", "resolved_env", "task_infos", "under_ploomber_cli",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_papermill_adapter": (
            "execution_duration", "injected_values", "is_error_banner", "is_injected_parameters",
            "kernel_name", "papermill_metadata",
        ),
        "_ploomber_adapter": (
            "TaskInfo", "build_options", "command_argv", "dag_root", "env_file",
            "format_task_exception", "is_building", "load_dag", "loaded_from", "metadata_path",
            "pipeline_file", "ploomber_command", "render_loaded", "render_tasks",
            "report_durations", "resolved_env", "task_infos", "under_ploomber_cli",
        ),
    })
