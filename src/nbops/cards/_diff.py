"""What changed between two versions' cards: data, metrics, slices, the written part."""

from __future__ import annotations

from nbops.cards._markdown import HUMAN_SECTIONS, fmt
from nbops.contracts import CardData, CardDataFile, CardSection, JSONValue, SliceColumn


def _change(label: str, old: object, new: object) -> str | None:
    if old == new:
        return None
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(
            old, bool):
        return f"{label}: {fmt(old)} -> {fmt(new)} ({new - old:+.4g})"
    return f"{label}: {fmt(old)} -> {fmt(new)}"


def _text(value: JSONValue) -> str:
    """What a person wrote, on one line (a list's items joined by '; ')."""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return " ".join(str(value).split()) if value else "(not written)"


def _data(a: CardData, b: CardData) -> list[str]:
    lines = []
    empty: CardDataFile = {}
    for split, old, new in (("train", a["train"] or empty, b["train"] or empty),
                            ("test", a["test"] or empty, b["test"] or empty)):
        for key in ("hash", "rows", "positives", "positive_rate", "date_range"):
            line = _change(f"{split} {key}", old.get(key), new.get(key))
            if line:
                lines.append(line)
    old_env = a["source"]["env"] or {}
    new_env = b["source"]["env"] or {}
    for key in sorted(set(old_env) | set(new_env)):
        line = _change(f"source {key}", old_env.get(key), new_env.get(key))
        if line:
            lines.append(line)
    return lines


def _slices(a: list[SliceColumn], b: list[SliceColumn]) -> list[str]:
    lines = []
    old = {(c["column"], s["value"]): s for c in a for s in c["slices"]}
    new = {(c["column"], s["value"]): s for c in b for s in c["slices"]}
    for key in sorted(set(old) | set(new)):
        label = f"{key[0]}={key[1]}"
        if key not in new:
            lines.append(f"{label}: only in the first")
        elif key not in old:
            lines.append(f"{label}: only in the second")
        else:
            for metric in ("roc_auc", "rows"):
                value_a = old[key]["metrics"].get(metric) if metric != "rows" else old[key]["rows"]
                value_b = new[key]["metrics"].get(metric) if metric != "rows" else new[key]["rows"]
                line = _change(f"{label} {metric}", value_a, value_b)
                if line:
                    lines.append(line)
    return lines


def card_diff(a: CardSection, b: CardSection) -> list[tuple[str, list[str]]]:
    """The changes from card ``a`` to card ``b``, grouped: (section, lines) pairs."""
    ev_a, ev_b = a["evaluation"]["content"], b["evaluation"]["content"]
    metrics = []
    for name in sorted(set(ev_a["metrics"]) | set(ev_b["metrics"])):
        old, new = ev_a["metrics"].get(name), ev_b["metrics"].get(name)
        line = _change(name, old and old["value"], new and new["value"])
        if line:
            metrics.append(f"{line}; interval [{fmt(old and old['low'])}, "
                           f"{fmt(old and old['high'])}] -> [{fmt(new and new['low'])}, "
                           f"{fmt(new and new['high'])}]")
    gate_metrics = [line for name in sorted(set(ev_a["gate_metrics"]) | set(ev_b["gate_metrics"]))
                    if (line := _change(name, ev_a["gate_metrics"].get(name),
                                        ev_b["gate_metrics"].get(name)))]
    params = [line for key in sorted(set(a["model"]["parameters"]) | set(b["model"]["parameters"]))
              if (line := _change(key, a["model"]["parameters"].get(key),
                                  b["model"]["parameters"].get(key)))]
    written = []
    human_a, human_b = a.get("human") or {}, b.get("human") or {}
    for key, heading in HUMAN_SECTIONS:
        if human_a.get(key) != human_b.get(key):
            written.append(f"{heading}: {_text(human_a.get(key))} -> {_text(human_b.get(key))}")
    return [("data", _data(a["data"], b["data"])), ("model parameters", params),
            ("metrics", metrics), ("slices", gate_metrics + _slices(ev_a["slices"],
                                                                    ev_b["slices"])),
            ("written by people", written)]


def diff_markdown(title_a: str, title_b: str, changes: list[tuple[str, list[str]]]) -> str:
    """The diff as Markdown: one heading per group, one bullet per change."""
    out = [f"# Model card changes: {title_a} -> {title_b}", ""]
    for section, lines in changes:
        out += [f"## {section.capitalize()}", ""]
        out += [f"- {line}" for line in lines] if lines else ["No change."]
        out += [""]
    return "\n".join(out).rstrip() + "\n"
