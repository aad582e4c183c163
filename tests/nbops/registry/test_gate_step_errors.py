"""A gate step that errors closes the run as `gated`, never `succeeded`, with the error in its
gates section; the error still reaches the build."""

from __future__ import annotations

from typing import Any

import pytest

from nbops.core._errors import RegistryError
from nbops.core._project import Project
from nbops.registry._pipeline_step import gate_after_close


class Context:
    """What the post-close step is given: the run, and the two ways it records an outcome."""

    def __init__(self, project: Project, manifest: dict[str, Any], env: dict[str, Any]) -> None:
        self.status = "succeeded"
        self.project = project
        self.run_id = manifest["run_id"]
        self.manifest = manifest
        self.env = env
        self.sections: dict[str, Any] = {}
        self.outcome: str | None = None

    def update(self, section: Any, value: Any) -> None:
        self.sections[section.name] = value

    def set_outcome(self, status: str) -> None:
        self.outcome = status


def test_a_gate_step_that_errors_closes_the_run_as_gated(tmp_path) -> None:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    products = {"model": {"path": ".nbops/products/model.skops",  # trains a model, but the
                          "hash": "blake3:" + "0" * 64, "size": 1}}  # other files are missing
    manifest = {"run_id": "r", "tasks": {"t": {"products": products}}, "metrics": {}}
    context = Context(Project(tmp_path), manifest, {"registry": {"model": "churn"},
                                                    "gates": {"auc": "roc_auc >= 0.5"}})
    with pytest.raises(RegistryError, match="train.parquet"):
        gate_after_close(context)  # type: ignore[arg-type]
    assert context.outcome == "gated"
    gates = context.sections["gates"]
    assert gates["verdict"] == "error" and "train.parquet" in gates["error"]
    assert "registry" not in context.sections
