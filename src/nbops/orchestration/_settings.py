"""What every command of a scheduled run resolves the same way: pipeline, env, overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbops.adapters import env_file, load_dag, pipeline_file, render_loaded, resolved_env
from nbops.core import ConfigError, Project, ProjectSettings, redact
from nbops.orchestration._overrides import check_known, dotted_overrides, override_argv

if TYPE_CHECKING:
    from nbops.runs import JsonObject


@dataclass
class RunSettings:
    """The pipeline and env values one command of a scheduled run works with."""

    project: Project
    pipeline: str  # relative to the project
    env_file: str | None  # relative to the project
    overrides: dict[str, str]  # dotted env key -> the command-line word
    argv: list[str]  # the command as the ledger records it
    env: JsonObject  # resolved (overrides applied), unredacted

    def load_dag(self) -> Any:
        """The pipeline's DAG with these overrides, loaded (not rendered)."""
        return load_dag(self.project.root, self.pipeline, self.overrides)

    def render(self, dag: Any, force: bool = False) -> list[Any]:
        """Render ``dag`` (``force``: every task to be executed) and describe its tasks."""
        return render_loaded(self.project.root, dag, force=force)

    def check_same_env(self, recorded: Mapping[str, object], run_id: str) -> None:
        """The run was opened with these values (else a task would mix two settings)."""
        if redact(self.env) != recorded:
            raise ConfigError(
                f"this worker resolves other env values than run {run_id} was opened with "
                "(different parameters, or a different env.yaml)",
                "give every task of the run the same parameters, and deploy the same commit "
                "of the project to every worker")


def run_settings(project: Project, params: Mapping[str, object], command: list[str]) -> RunSettings:
    """Resolve the pipeline and env of ``project`` with trigger-time ``params``."""
    root = project.root
    pipeline = pipeline_file(root)
    found = env_file(root, ["nbops", "--entry-point", str(pipeline)])
    if found is not None and params:
        # shared: resolved_env below parses the same file (one parse per command)
        data = ProjectSettings.read(found, what=found.name, mapping_required=False,
                                    shared=True).values
        check_known(data, params)
    elif params:
        raise ConfigError("parameters were given but the project has no env.yaml",
                          "add the values to env.yaml, or trigger the run without parameters")
    argv = [*command, *override_argv(params)]
    return RunSettings(project, project.relative(pipeline),
                       None if found is None else project.relative(found),
                       dotted_overrides(params), argv,
                       resolved_env(root, ["nbops", *override_argv(params)]))
