"""Measure the model in a helper process that warmed up while the notebooks ran.

Gating a freshly trained model needs pandas, pyarrow, scikit-learn and skops
in the process that measures it: 2–2.5 s of imports (skops alone scans every
loaded module when it is imported) on the critical path at the very end of
the build, while the build process sat idle the whole time the kernels ran.

When a build is going to train the model, the registry step's ``prepare``
starts ``python -m nbops.registry._measure_helper`` at ``on_render``; it
imports those libraries on whichever core the kernels leave free, then waits.
After the build, :meth:`MeasureHelper.measure` sends it one request (paths,
hashes, settings) as a JSON line on stdin and reads the
:class:`~nbops.registry._measurements.Measurements` back from stdout. The
helper runs the very same :func:`~nbops.registry._measurements.measure`; an
``NbopsError`` it raises is raised again here with the same problem and fix.

The process machinery (start, one JSON line each way, :class:`HelperGone` when it
cannot answer: measure in-process instead) is :mod:`nbops.runtime`'s helper process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nbops import core
from nbops.core import NbopsError
from nbops.registry._config import RegistryConfig
from nbops.registry._measurements import FILES, Measurements, measure
from nbops.registry._promotion import Candidate
from nbops.runtime import HelperGone, HelperProcess, serve

if TYPE_CHECKING:
    from nbops.contracts import JSONObject, ModelVersion
    from nbops.core import FeatureSchemaRecord

__all__ = ["WARM_IMPORTS", "HelperGone", "MeasureHelper", "main"]

#: What the helper imports while it waits: everything measure() will need.
WARM_IMPORTS = ("pandas", "pyarrow.parquet", "sklearn.metrics", "skops.io")


class MeasureHelper(HelperProcess):
    """Client side: a started helper process, used for at most one measurement."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        super().__init__(__name__, self.root)

    def measure(self, root: Path, candidate: Candidate, config: RegistryConfig,
                schema: FeatureSchemaRecord, inputs: dict[str, str],
                champion: ModelVersion | None) -> Measurements:
        """What :func:`~nbops.registry._measurements.measure` returns, computed by the helper.

        Raises:
            NbopsError: the helper's measurement failed (same class, problem and fix).
            HelperGone: the helper cannot answer; measure in-process instead.
        """
        request = {
            "root": str(root), "schema": schema, "inputs": inputs, "champion": champion,
            "config": {**dataclasses.asdict(config),
                       "trusted_types": list(config.trusted_types)},
            "candidate": {"run_id": candidate.run_id, "model_run_id": candidate.model_run_id,
                          **{name: str(getattr(candidate, name)) for name in FILES}},
        }
        answer = self.ask(request, "the measuring helper")
        if "error" in answer:
            error = answer["error"]
            said = error if isinstance(error, dict) else {}
            kind = getattr(core, str(said.get("kind")), None)  # an error class nbops.core exports
            if not (isinstance(kind, type) and issubclass(kind, NbopsError)):
                raise HelperGone(f"the measuring helper failed: {error}")
            fix = said.get("fix")
            raise kind(str(said["problem"]), fix if isinstance(fix, str) else None)
        measured = answer.get("measured")
        if not isinstance(measured, dict):
            raise HelperGone(f"the measuring helper answered no measurements: {answer}")
        return Measurements.from_dict({**measured, "measured_in": "helper process"})


def _serve_one(line: str) -> JSONObject:
    request = json.loads(line)
    settings = dict(request["config"])
    settings["trusted_types"] = tuple(settings["trusted_types"])
    config = RegistryConfig(**settings)
    paths = request["candidate"]
    candidate = Candidate(
        run_id=paths["run_id"], model_run_id=paths["model_run_id"], metrics={},
        model_file=Path(paths["model_file"]), train_data=Path(paths["train_data"]),
        test_data=Path(paths["test_data"]), feature_schema=Path(paths["feature_schema"]))
    try:
        measured = measure(Path(request["root"]), candidate, config, request["schema"],
                           request["inputs"], request["champion"])
    except NbopsError as exc:
        return {"error": {"kind": type(exc).__name__, "problem": exc.problem, "fix": exc.fix}}
    return {"measured": dataclasses.asdict(measured)}


def main() -> int:
    """Warm up, then answer each request line on stdin until it closes."""
    return serve(WARM_IMPORTS, _serve_one)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # nothing is left to clean up: skip the slow tear-down of pandas, scikit-learn and
    # skops (about 0.4 s), which the build would wait for as it closes the run
    os._exit(code)
