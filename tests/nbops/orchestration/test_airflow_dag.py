"""The DAG file `nbops export airflow` writes: valid Python, the pipeline's graph, no values."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from nbops.adapters import TaskInfo
from nbops.core import ConfigError, Project
from nbops.orchestration._airflow import dag_source, task_id, trigger_params


def _info(name: str, upstream: list[str]) -> TaskInfo:
    return TaskInfo(name=name, status="not_run", will_run=True, source_path=None, products={},
                    notebook_key=None, upstream=upstream)


def _assigned(source: str, name: str) -> Any:
    tree = ast.parse(source)
    return next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name)


ENV = {"db": {"password": "hunter2-secret"}, "seed": 42,
       "model": {"max_depth": 3, "kind": "gb"},
       "parameters": {"seed": {"type": "int"},
                      "model": {"max_depth": {"type": "int", "min": 1, "max": 64},
                                "kind": {"type": "str", "choices": ["gb", "rf"]}}}}


def test_the_dag_has_the_pipelines_graph_and_no_env_value(tmp_path: Path) -> None:
    tasks = [_info("load data", []), _info("fit", ["load data"]), _info("score", ["fit"])]
    source = dag_source(Project(tmp_path), tasks, ENV, "nbops_demo", "/venv/bin/nbops",
                        "/srv/project 'quoted'", "conn")
    compile(source, "dag.py", "exec")
    assert _assigned(source, "TASKS") == {"load data": ("load_data", []),
                                          "fit": ("fit", ["load data"]),
                                          "score": ("score", ["fit"])}
    assert _assigned(source, "PROJECT") == "/srv/project 'quoted'"
    assert _assigned(source, "CONNECTION") == "conn"
    assert "hunter2-secret" not in source and "42" not in source
    assert "'model.max_depth': Param(None, type=['null', 'integer'], minimum=1, maximum=64" \
        in source
    assert "enum=[None, 'gb', 'rf']" in source


def test_without_declarations_every_scalar_value_is_a_param() -> None:
    params = trigger_params({"seed": 1, "model": {"rate": 0.1, "on": True, "layers": [1]},
                             "path": None})
    assert {p["key"]: p["types"][1] for p in params} == {
        "seed": "integer", "model.rate": "number", "model.on": "boolean", "path": "string"}


def test_task_ids_airflow_accepts_and_collisions_refused(tmp_path: Path) -> None:
    assert task_id("a/b c") == "a_b_c" and task_id("fit.v2-x") == "fit.v2-x"
    with pytest.raises(ConfigError, match="same Airflow task id"):
        dag_source(Project(tmp_path), [_info("a b", []), _info("a_b", [])], {}, "d", "nbops",
                   "/p", None)
