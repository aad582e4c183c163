"""``nbops export airflow``: the project's pipeline as an Apache Airflow DAG file.

The DAG has one Airflow task per pipeline task (their dependencies as in
``pipeline.yaml``) between ``nbops run open`` and ``nbops run close``; each runs one
nbops command in the project's checkout on the worker (the DAG file imports Airflow
only, so Airflow's environment needs no nbops, and the project's environment no
Airflow). Trigger-time params are the env values the project declares in env.yaml's
``parameters:`` (every scalar value when it declares none), each empty by default
(= env.yaml's value): the file holds no env value (one may be a secret) and no credential.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from nbops.adapters import TaskInfo
from nbops.core import Project, ProjectSettings, atomic_write_text
from nbops.orchestration._settings import run_settings

_JSON_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}


def _py(value: Any) -> str:
    """A Python literal of ``value`` for the generated file."""
    return repr(value)


def _flat(data: Mapping[str, object], prefix: str = "") -> list[tuple[str, object]]:
    leaves: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            leaves += _flat(value, name + ".")
        else:
            leaves.append((name, value))
    return leaves


def _declared(rule: Any) -> bool:
    return isinstance(rule, dict) and "type" in rule


def _declarations(spec: Mapping[str, object],
                  prefix: str = "") -> list[tuple[str, Mapping[str, object]]]:
    found: list[tuple[str, Mapping[str, object]]] = []
    for key, rule in spec.items():
        if isinstance(rule, dict) and _declared(rule):
            found.append((f"{prefix}{key}", rule))
        elif isinstance(rule, dict):
            found += _declarations(rule, f"{prefix}{key}.")
    return found


class TriggerParam(TypedDict):
    """One param of the DAG's trigger form (the template writes each as an Airflow Param)."""

    key: str
    types: list[str | None]
    enum: list[object] | None
    minimum: object
    maximum: object
    description: str


def trigger_params(env: Mapping[str, object]) -> list[TriggerParam]:
    """The DAG's params: env.yaml's declared parameters, else its scalar values."""
    spec = env.get("parameters")
    params: list[TriggerParam] = []
    if isinstance(spec, dict) and spec:
        for key, rule in _declarations(spec):
            choices = rule.get("choices")
            params.append({
                "key": key, "types": ["null", _JSON_TYPES.get(str(rule["type"]), "string")],
                "enum": [None, *choices] if isinstance(choices, list) and choices else None,
                "minimum": rule.get("min"), "maximum": rule.get("max"),
                "description": f"env.yaml {key} (empty: as in env.yaml)"})
        return params
    for key, value in _flat({k: v for k, v in env.items() if k != "parameters"}):
        if isinstance(value, bool | int | float | str) or value is None:
            kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
                type(value))
            params.append({"key": key, "types": ["null", kind] if kind else
                           ["null", "string", "number", "integer", "boolean"],
                           "enum": None, "minimum": None, "maximum": None,
                           "description": f"env.yaml {key} (empty: as in env.yaml)"})
    return params


def task_id(name: str) -> str:
    """An Airflow task id for a pipeline task name (letters, digits, ``-``, ``.``, ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:250] or "task"


def dag_source(project: Project, tasks: list[TaskInfo], env: Mapping[str, object], dag_id: str,
               nbops: str, project_path: str, connection: str | None) -> str:
    """The DAG file's text."""
    from nbops.remote import KEY_ENV

    ids = {info.name: task_id(info.name) for info in tasks}
    if len(set(ids.values())) != len(ids):
        from nbops.core import ConfigError

        raise ConfigError("two pipeline tasks map to the same Airflow task id",
                          "rename tasks so that they differ in letters, digits, -, . or _")
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("nbops.orchestration", "templates"),
        autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)  # Python source, not HTML: every value through |py
    environment.filters["py"] = _py
    template = environment.get_template("airflow_dag.py.j2")
    return template.render(
        project=project.name, project_path=project_path, nbops=nbops, connection=connection,
        key_env=KEY_ENV, dag_id=dag_id, description=f"nbops pipeline of {project.name}",
        tasks={info.name: (ids[info.name], list(info.upstream)) for info in tasks},
        params=trigger_params(env))


def default_nbops() -> str:
    """The nbops command of this environment (workers run the project's environment)."""
    beside = Path(sys.executable).parent / "nbops"
    return str(beside) if beside.is_file() else "nbops"


def export_airflow(project: Project, output: Path | None = None, dag_id: str | None = None,
                   nbops: str | None = None, project_path: str | None = None,
                   connection: str | None = None) -> Path:
    """Write the DAG file (default ``dags/nbops_<project>.py``); its path."""
    settings = run_settings(project, {}, ["nbops", "export", "airflow"])
    tasks = settings.render(settings.load_dag())
    env: Mapping[str, object] = {}
    if settings.env_file is not None:
        env = ProjectSettings.read(project.absolute(settings.env_file), what=settings.env_file,
                                   mapping_required=False, shared=True).values
    slug = re.sub(r"[^A-Za-z0-9_]", "_", project.name)
    target = output or project.root / "dags" / f"nbops_{slug}.py"
    text = dag_source(project, tasks, env, dag_id or f"nbops_{slug}", nbops or default_nbops(),
                      project_path or str(project.root), connection)
    compile(text, str(target), "exec")  # a bug here must not reach a scheduler
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)
    return target
