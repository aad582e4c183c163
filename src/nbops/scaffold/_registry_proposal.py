"""What ``nbops init --registry`` proposes: only what the project has.

The registry needs four products (a skops model, train and test data in parquet,
a feature schema) and a primary metric; the gates need metrics the notebooks log.
The proposal reads the pipeline's products (Ploomber loads the DAG, nothing is
built) and, when the project has been built, the metrics its latest run logged.
A value it can tell is written; one it cannot is a commented ``FILL_IN`` line, and
the whole ``registry:`` section stays commented out until every file is known, so
nothing false is ever in force. :func:`propose` returns the text and the sentences
saying what to fill in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("nbops")

FILL_IN = "FILL_IN"
_FILES = {
    "model_file": "the .skops file your training step saves (nbops registers skops models)",
    "train_data": "the parquet file of the training rows (with the target column)",
    "test_data": "the parquet file of the held-out rows (with the target column)",
    "feature_schema": "the feature schema your steps write with nbops.validation",
}


@dataclass
class Proposal:
    """The ``gates:``/``registry:`` text for env.yaml and what the user must still do.

    Attributes:
        gates: the ``gates:`` section, ready to append to env.yaml.
        registry: the ``registry:`` section.
        active: whether ``registry:`` is in force (every file and the metric known).
        notes: one sentence per value left to fill in.
    """

    gates: str
    registry: str
    active: bool
    notes: list[str] = field(default_factory=list)


#: The first line of each section :func:`propose` writes (a re-run replaces a proposal
#: left all commented out).
MARKERS = ("# nbops quality gates:", "# nbops model registry:")


def without_old_proposal(text: str) -> str:
    """``text`` without an earlier proposal that is still all comments (a re-run, after a
    build, proposes again with what it has learned)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(MARKERS)), None)
    if start is None:
        return text
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end].lstrip().startswith("#")):
        end += 1
    return "".join(lines[:start] + lines[end:])


def _pick(paths: list[str], suffixes: tuple[str, ...], words: tuple[str, ...] = ()) -> list[str]:
    found = [p for p in paths if p.lower().endswith(suffixes)]
    if words:
        found = [p for p in found if any(w in Path(p).name.lower() for w in words)]
    return found


def _files(products: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Each registry file → the one product that fits it, or None; and why not."""
    notes: list[str] = []
    chosen: dict[str, str | None] = {}
    candidates = {
        "model_file": _pick(products, (".skops",)),
        "train_data": _pick(products, (".parquet", ".pq"), ("train",)),
        "test_data": _pick(products, (".parquet", ".pq"), ("test",)),
        "feature_schema": _pick(products, (".json",), ("feature_schema",)),
    }
    for key, found in candidates.items():
        chosen[key] = found[0] if len(found) == 1 else None
        if len(found) > 1:
            notes.append(f"registry.{key}: several products could be it ({', '.join(found)}); "
                         f"write the one that is {_FILES[key]}")
        elif not found:
            pickled = _pick(products, (".pkl", ".pickle", ".joblib")) if key == "model_file" else []
            extra = (f" ({', '.join(pickled)} is a pickle: save the model with skops.io.dump "
                     "instead)") if pickled else ""
            notes.append(f"registry.{key}: no product of the pipeline is {_FILES[key]}{extra}")
    return chosen, notes


def propose(products: list[str], metrics: dict[str, object], model_name: str,
            metric_directions: dict[str, bool], built: bool) -> Proposal:
    """The sections for a project whose products (paths relative to its root) and latest
    logged metrics are these.

    Args:
        products: every file product of the pipeline, relative to the project root.
        metrics: the metrics the latest run logged (flattened names → values).
        model_name: the registered name to propose.
        metric_directions: the metrics the registry can rank models by.
        built: whether the project has a run to read metrics from.
    """
    files, notes = _files(products)
    numeric = sorted(k for k, v in metrics.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool))
    primary = next((m for m in metric_directions if m in numeric), None)
    if primary is None:
        known = ", ".join(metric_directions)
        seen = f"the latest run logged {', '.join(numeric)}" if numeric else (
            "no run has logged a metric yet" if built else "the project has not been built yet")
        notes.append(f"registry.primary_metric: {seen}; log one of {known} with "
                     "nbops.log_metric in your evaluation step")
    active = primary is not None and all(files.values())
    head = "" if active else "# "
    gate_lines = [f"#   min_{m}: {m} >= {FILL_IN}" for m in numeric[:6]]
    gates_intro = (
        "# nbops quality gates: each must pass for a model to be registered; a failing gate,\n"
        "# or one on a metric the run did not log, fails the build. Form: METRIC OP NUMBER,\n"
        "# METRIC OP OTHER_METRIC or METRIC OP champion - NUMBER.\n")
    if numeric:
        gates_intro += ("# Metrics your latest run logged: " + ", ".join(numeric) + ".\n"
                        f"# Uncomment a gate and replace {FILL_IN} with your threshold.\n")
    else:
        gates_intro += ("# No metric logged yet: log them with nbops.log_metric(NAME, VALUE),\n"
                        "# build, and run nbops init --registry again to see them listed.\n")
        gate_lines = [f"#   NAME: METRIC >= {FILL_IN}"]
    gates = gates_intro + ("gates: {}   # none yet: replace {} with gates like these\n" if active
                           else "# gates:\n") + "\n".join(gate_lines) + "\n"
    registry_lines = [f"{head}registry:", f"{head}  model: {model_name}"]
    for key in _FILES:
        value = files[key]
        registry_lines.append(f"{head}  {key}: {value}" if value
                              else f"#   {key}: {FILL_IN}   # {_FILES[key]}")
    registry_lines += [
        f"{head}  primary_metric: {primary}" if primary
        else f"#   primary_metric: {FILL_IN}   # one of {', '.join(metric_directions)}",
        f"{head}  promotion: auto   # auto | manual (@challenger) | never",
        f"{head}  # no @champion until model_card.yaml (next to the pipeline) names the model's",
        f"{head}  # intended use, out-of-scope uses, limitations and owner",
        f"{head}  require_card: true",
    ]
    intro = ("# nbops model registry: the products that are the model, its data and its\n"
             "# feature schema (paths relative to the project root).\n")
    if not active:
        intro += ("# Left commented out: nbops could not tell every value from your pipeline.\n"
                  f"# Fill in each {FILL_IN}, uncomment the section (and gates: above), then run\n"
                  "# nbops init --registry again so that on_render checks them.\n")
    return Proposal(gates, intro + "\n".join(registry_lines) + "\n", active, notes)
