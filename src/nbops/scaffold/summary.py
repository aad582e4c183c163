"""``nbops summary --markdown``: one run in a few Markdown lines, for a CI job's summary page.

Values come from the run's manifest; every string is escaped for Markdown
tables (``|``, newlines, HTML), so a metric or gate name can never inject markup.
"""

from __future__ import annotations

import html
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = "" if value is None else str(value)
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def markdown_summary(manifest: dict[str, Any]) -> str:
    """The run as Markdown: status line, gates, metrics and the registry decision."""
    status = manifest["status"]
    mark = {"succeeded": "✅", "failed": "❌", "gated": "⛔", "interrupted": "⚠️"}.get(status, "⏳")
    duration = manifest.get("duration_s")
    tasks = manifest.get("tasks") or {}
    executed = sum(1 for t in tasks.values() if t.get("status") == "executed")
    lines = [
        f"### {mark} nbops run `{_cell(manifest['run_id'])}`: {_cell(status)}",
        "",
        f"Project **{_cell(manifest.get('project'))}**, {executed} of {len(tasks)} steps "
        f"executed" + (f" in {duration:.1f} s." if isinstance(duration, (int, float)) else "."),
    ]
    failure = manifest.get("failure")
    if failure:
        lines += ["", f"Failed in step **{_cell(failure.get('task'))}**: "
                      f"{_cell(failure.get('message') or failure.get('evalue'))}"]
    gates = manifest.get("gates")
    if gates:
        lines += ["", f"**Quality gates: {_cell(gates.get('verdict'))}**"]
        if gates.get("error"):
            lines.append(f"{_cell(gates['error'])}")
        if gates.get("results"):
            lines += ["", "| gate | verdict | value | expression |", "|---|---|---|---|"]
            lines += [f"| {_cell(r.get('name'))} | {_cell(r.get('verdict'))} | "
                      f"{_cell(r.get('value'))} | {_cell(r.get('expression'))} |"
                      for r in gates["results"]]
    metrics = manifest.get("metrics") or {}
    if metrics:
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {_cell(name)} | {_cell(value)} |" for name, value in metrics.items()]
    registry = manifest.get("registry")
    if registry and registry.get("decision"):
        lines += ["", f"Registry: {_cell(registry['decision'])}"]
    lines += ["", "The full report is in the `reports/` artifact "
                  f"(`reports/runs/{_cell(manifest['run_id'])}/index.html`)."]
    return "\n".join(lines) + "\n"
