"""A model card as Markdown: YAML front matter, then the sections people read.

The layout follows the Hugging Face / skops model card (``README.md`` with a
YAML metadata block: ``library_name``, ``tags``, ``model_format``,
``model_file``), so a card written next to the model reads like one anywhere
those cards are read. Numbers come from the run's ``card`` section only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from nbops.contracts import RunSummary

HUMAN_SECTIONS = (("intended_use", "Intended use"), ("out_of_scope_uses", "Out-of-scope uses"),
                  ("limitations", "Limitations"), ("risks", "Risks"),
                  ("ethical_considerations", "Ethical considerations"), ("notes", "Notes"),
                  ("owner", "Owner"))


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a card: 4 significant digits; '-' for nothing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _human(value: Any) -> list[str]:
    if isinstance(value, list) and value:
        return [f"- {item}" for item in value] + [""]
    if isinstance(value, str) and value.strip():
        return [value.strip(), ""]
    return ["*Not written yet (model_card.yaml).*", ""]


def front_matter(card: dict[str, Any], version: Mapping[str, Any] | None) -> dict[str, Any]:
    """The YAML metadata block (Hugging Face / skops card layout)."""
    model = card["model"]
    artifact = (version or {}).get("artifact") or {}
    meta: dict[str, Any] = {
        "library_name": "sklearn",
        "tags": ["sklearn", "skops", "tabular-classification", "nbops"],
        "model_format": "skops",
        "model_file": artifact.get("path") or "model.skops",
        "nbops": {"model": model["name"], "version": model["version"],
                  "run_id": (version or {}).get("registered_by_run"),
                  "model_hash": artifact.get("hash"), "card_schema_version": 1},
    }
    return meta


def card_markdown(card: dict[str, Any], version: Mapping[str, Any] | None = None,
                  monitoring: list[RunSummary] | None = None) -> str:
    """The whole card as Markdown with YAML front matter.

    Args:
        card: a run's ``card`` section.
        version: the registry's record of the version (model file, registering run).
        monitoring: monitoring runs of the version, oldest first (``run_id``,
            ``started_at``, ``monitoring_verdict``), when it serves.
    """
    model = card["model"]
    evaluation = card["evaluation"]["content"]
    human = card.get("human") or {}
    title = f"{model['name']}:{model['version']}" if model["version"] else str(model["name"])
    out = ["---", yaml.safe_dump(front_matter(card, version), sort_keys=False).rstrip(), "---",
           "", f"# Model card: {title}", ""]
    if card["missing"]:
        out += [f"> This card lacks {', '.join(card['missing'])} (model_card.yaml).", ""]
    for key, heading in HUMAN_SECTIONS:
        if key in human or key in ("intended_use", "out_of_scope_uses", "limitations", "owner"):
            out += [f"## {heading}", "", *_human(human.get(key))]
    out += ["## Model", ""]
    kind = model["type"]
    out += [f"- Type: {kind.get('type')} ({kind.get('module')})"]
    if kind.get("steps"):
        out += [f"- Pipeline: {', '.join(kind['steps'])}"]
    code = model["code"]
    out += [f"- Code: commit {fmt(code.get('commit'))} on {fmt(code.get('branch'))}"
            + (" (uncommitted changes)" if code.get("dirty") else "")]
    env = model["environment"]
    packages = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items())
    out += [f"- Environment: Python {fmt(env.get('python'))} on {fmt(env.get('platform'))}; "
            f"{packages}", ""]
    if model["parameters"]:
        out += _table(["parameter", "value"], [[k, v] for k, v in model["parameters"].items()])
    out += _data_lines(card["data"])
    out += _metric_lines(evaluation)
    out += _slice_lines(evaluation)
    out += _calibration_lines(evaluation["calibration"])
    out += _importance_lines(evaluation["importance"])
    out += _gate_lines(card.get("gates"))
    out += _champion_lines(card.get("champion"), model["name"])
    out += ["## Monitoring", ""]
    if monitoring:
        out += _table(["run", "started", "verdict"],
                      [[m.get("run_id"), m.get("started_at"), m.get("monitoring_verdict")]
                       for m in monitoring])
    else:
        out += ["Not monitored yet.", ""]
    return "\n".join(out).rstrip() + "\n"


def _data_lines(data: dict[str, Any]) -> list[str]:
    out = ["## Data", ""]
    source = data.get("source") or {}
    env = source.get("env") or {}
    if env:
        out += ["- Source: " + ", ".join(f"{k} {fmt(v)}" for k, v in env.items()
                                         if v is not None)]
    for path, digest in (source.get("inputs") or {}).items():
        out += [f"- Input file {path}: {digest}"]
    out += [""]
    rows = []
    for split in ("train", "test"):
        facts = data.get(split) or {}
        if facts:
            dates = facts.get("date_range")
            rows.append([split, facts.get("rows"), facts.get("positives"),
                         facts.get("positive_rate"), " to ".join(dates) if dates else "-",
                         facts.get("hash")])
    out += _table(["split", "rows", "positives", "positive rate", "dates", "snapshot"], rows)
    schema = data.get("schema") or {}
    if schema.get("features"):
        out += [f"Target `{schema.get('target')}`; inputs: "
                + ", ".join(f"{f['name']} ({f['dtype']})" for f in schema["features"]), ""]
    return out


def _metric_lines(evaluation: dict[str, Any]) -> list[str]:
    boot = evaluation["bootstrap"]
    out = ["## Metrics on the test set", "",
           f"{int(boot['level'] * 100)} % bootstrap intervals ({boot['resamples']} resamples); "
           f"threshold {fmt(evaluation['threshold'])} for F1.", ""]
    return out + _table(["metric", "value", "low", "high"],
                        [[name, m["value"], m["low"], m["high"]]
                         for name, m in evaluation["metrics"].items()])


def _slice_lines(evaluation: dict[str, Any]) -> list[str]:
    note = evaluation.get("slices_missing")
    if not evaluation["slices"] and not note:
        return []
    out = ["## Metrics by slice", ""] + ([f"> {note}.", ""] if note else [])
    for column in evaluation["slices"]:
        out += [f"### {column['column']}", ""]
        out += _table(["slice", "rows", "positives", "roc_auc", "pr_auc", "brier"],
                      [[s["value"], s["rows"], s["positives"], s["metrics"].get("roc_auc"),
                        s["metrics"].get("pr_auc"), s["metrics"].get("brier")]
                       for s in column["slices"]])
        auc = column["summary"].get("roc_auc")
        if auc:
            out += [f"roc_auc: best {auc['best']} {fmt(auc['best_value'])}, worst "
                    f"{auc['worst']} {fmt(auc['worst_value'])}, gap {fmt(auc['gap'])}.", ""]
    return out


def _calibration_lines(calibration: dict[str, Any]) -> list[str]:
    out = ["## Calibration", "",
           f"Brier score {fmt(calibration['brier'])}; expected calibration error "
           f"{fmt(calibration['expected_calibration_error'])}.", ""]
    return out + _table(["predicted", "rows", "mean predicted", "observed rate"],
                        [[f"{b['low']:.1f}-{b['high']:.1f}", b["rows"], b["mean_predicted"],
                          b["observed_rate"]] for b in calibration["bins"]])


def _importance_lines(importance: dict[str, Any]) -> list[str]:
    out = ["## Most important inputs", "",
           f"Permutation importance: drop in {importance['scoring']} when one input is "
           f"shuffled ({importance['repeats']} repeats on {importance['rows']} test rows).", ""]
    return out + _table(["input", "mean drop", "std"],
                        [[f["feature"], f["mean"], f["std"]]
                         for f in importance["features"][:15]])


def _gate_lines(gates: dict[str, Any] | None) -> list[str]:
    if not gates:
        return ["## Gates", "", "Not gated.", ""]
    out = ["## Gates", "", f"Verdict: {gates.get('verdict')}.", ""]
    return out + _table(["gate", "expression", "verdict", "value", "threshold"],
                        [[r["name"], r["expression"], r["verdict"], r["value"], r["threshold"]]
                         for r in gates.get("results") or []])


def _champion_lines(champion: dict[str, Any] | None, name: str) -> list[str]:
    if not champion:
        return []
    out = ["## Champion", "", f"{champion.get('decision')}", ""]
    replaced = champion.get("replaced")
    if replaced:
        out += [f"Compared with {name}:{replaced.get('version')} on this test set:", ""]
        before = replaced.get("metrics") or {}
        out += _table(["metric", "this version", f"{name}:{replaced.get('version')}", "delta"],
                      [[k, (before.get(k) or 0) + d, before.get(k), d]
                       for k, d in (champion.get("deltas") or {}).items()])
    return out
