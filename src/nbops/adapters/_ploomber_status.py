"""Which tasks Ploomber would execute now, and why: code, parameters, upstream, no product.

Ploomber decides a task is out of date from its products' metadata files (the
source code and parameters the product was made with, and a timestamp): the
code or the parameters differ from what it would run now, an upstream product
is newer or out of date itself, or a product is missing. Its own check answers
only yes or no; the panel of ``nbops.lab`` says which of the three it was, so
this module asks Ploomber's own code differ each question separately, on the
DAG rendered exactly as ``ploomber build`` would render it (see
:func:`nbops.adapters.load_dag`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.adapters._ploomber_adapter import load_dag, task_info

#: the reasons, in the order the panel lists them
MISSING, CODE, PARAMS, UPSTREAM = "no product", "code", "params", "upstream"


@dataclass
class TaskState:
    """One task as ``ploomber build`` would see it now.

    Attributes:
        name: the task name.
        outdated: whether a build would execute it.
        reasons: why (``no product``, ``code``, ``params``, ``upstream``); empty when
            up to date.
        upstream: the names of its upstream tasks.
        source: its source file relative to the project (``""`` for none).
        kind: Ploomber's task class name.
        params: its parameters as the build would pass them (no product/upstream).
        products: product key → path relative to the project.
    """

    name: str
    outdated: bool
    reasons: list[str]
    upstream: list[str]
    source: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)


def _file_products(product: Any) -> list[Any]:
    inner = getattr(product, "products", None)
    return list(inner) if inner is not None else [product]


def _code_and_params_changed(task: Any) -> tuple[bool, bool]:
    """(code changed, params changed) against what made the task's first product."""
    from ploomber.products._resources import process_resources

    metadata = _file_products(task.product)[0].metadata
    stored_code, stored_params = metadata.stored_source_code, metadata.params
    if stored_code is None:
        return True, True
    current = process_resources(task.params.to_json_serializable(params_only=True))
    differ = task.dag.differ
    extension = task.source.extension
    code, _ = differ.is_different(a=stored_code, b=str(task.source), a_params=current,
                                  b_params=current, extension=extension)
    params, _ = differ.is_different(a=stored_code, b=stored_code, a_params=stored_params or {},
                                    b_params=current, extension=extension)
    return bool(code), bool(params)


def _relative(root: Path, path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def task_states(root: Path, pipeline: str = "pipeline.yaml",
                overrides: Mapping[str, str] | None = None) -> list[TaskState]:
    """Every task of the project's DAG, in topological order, with why it is out of date.

    Renders the DAG in this process (the current folder is the project's meanwhile,
    as for Ploomber's command line); no hook sees a build, no run is opened.

    Args:
        root: the project folder.
        pipeline: the pipeline file, relative to ``root``.
        overrides: dotted env keys → command-line strings, as ``--env--`` takes them.
    """
    root = Path(root).resolve()
    dag = load_dag(root, pipeline, overrides)
    states = []
    with contextlib.chdir(root):
        dag.render(show_progress=False)
        for name in dag:
            task = dag[name]
            info = task_info(task)
            reasons: list[str] = []
            if not task.product.exists():
                reasons.append(MISSING)
            else:
                code, params = _code_and_params_changed(task)
                if code:
                    reasons.append(CODE)
                if params:
                    reasons.append(PARAMS)
                if task.product._outdated_data_dependencies():
                    reasons.append(UPSTREAM)
            states.append(TaskState(
                name=info.name,
                outdated=bool(task.product._is_outdated()) or bool(reasons),
                reasons=reasons,
                upstream=info.upstream,
                source=_relative(root, info.source_path),
                kind=info.kind,
                params=info.params,
                products={key: _relative(root, path) for key, path in info.products.items()},
            ))
    return states
