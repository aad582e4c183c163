"""The reproduction report: one self-contained HTML page per reproduction.

It lives at ``reports/runs/<run_id>/reproductions/<id>.html`` and links back
to the run page (``../index.html``). Every value shown comes from the record
and is escaped (:func:`nbops.reports.markup.esc`).
"""

from __future__ import annotations

from typing import Any

from nbops.reports.markup import esc, fmt_duration, fmt_value, kv_list, page, safe_href

_OUTCOME_CLASS = {
    "reproduced": "s-succeeded",
    "identical": "s-succeeded",
    "within-tolerance": "s-warn",
    "diverged": "s-failed",
}


def _pill(outcome: str) -> str:
    css = _OUTCOME_CLASS.get(outcome, "s-not_run")
    return f'<span class="badge {css}" data-outcome="{esc(outcome)}">{esc(outcome)}</span>'


def verdict_sentence(record: dict[str, Any]) -> str:
    """The verdict in one sentence, as the CLI prints it too."""
    verdict = record["verdict"]
    if verdict == "reproduced":
        return "Reproduced: every product is bit-identical and every output and metric equal."
    if verdict == "within-tolerance":
        names = [t["task"] for t in record["tasks"] if t["outcome"] == "within-tolerance"]
        return (
            "Reproduced within tolerance: "
            + ", ".join(names)
            + " differed, within the declared tolerance; everything else is bit-identical."
        )
    first = record["first_diverged"] or {"task": "?", "reason": ""}
    return f"Diverged at task {first['task']}: {first['reason']}."


def _environment(env: dict[str, Any]) -> str:
    lock = env["lock"]
    lock_line = f'<p id="lock">Lock: {esc(_lock_sentence(lock))}</p>'
    if not env["differences"]:
        body = "<p>Same packages, Python and platform as the run.</p>"
    else:
        rows = "".join(
            f"<tr><td>{esc(d['kind'])}</td><td>{esc(d['name'])}</td>"
            f"<td>{esc(d['recorded'] if d['recorded'] is not None else '(absent)')}</td>"
            f"<td>{esc(d['current'] if d['current'] is not None else '(absent)')}</td></tr>"
            for d in env["differences"]
        )
        body = (
            '<table id="environment"><thead><tr><th>kind</th><th>name</th><th>at run time</th>'
            f"<th>now</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f"<section><h2>Environment</h2>{body}{lock_line}</section>"


def _lock_sentence(lock: dict[str, Any]) -> str:
    recorded = lock["recorded_hash"]
    if recorded is None:
        return f"the run recorded no {lock['path']}."
    same = "matches" if lock["matches"] else f"differs ({lock['current_hash'] or 'absent'})"
    return f"the run was made with {lock['path']} {recorded}; the current one {same}."


def _tasks(tasks: list[dict[str, Any]]) -> str:
    rows = []
    for task in tasks:
        tol = task["tolerance"]
        declared = "declared non-deterministic" if task["nondeterministic"] else ""
        if tol:
            parts = [f"±{tol['default']:g}"] if tol["default"] is not None else []
            parts += [f"{k} ±{v:g}" for k, v in sorted(tol["per_metric"].items())]
            declared += f" ({', '.join(parts) or 'exact metrics'})"
        checks = "".join(
            f"<tr><td>{esc(c['what'])}</td><td>{'equal' if c['equal'] else 'differs'}</td>"
            f"<td>{fmt_value(c.get('recorded'))}</td><td>{fmt_value(c.get('reproduced'))}</td>"
            f"<td>{esc(c['detail'])}</td></tr>"
            for c in task["checks"]
        )
        detail = (
            (
                "<details><summary>checks</summary><table><thead><tr><th>check</th><th></th>"
                "<th>recorded</th><th>reproduced</th><th>detail</th></tr></thead>"
                f"<tbody>{checks}</tbody></table></details>"
            )
            if checks
            else ""
        )
        rows.append(
            f'<tr data-task="{esc(task["task"])}"><td>{esc(task["task"])}</td>'
            f"<td>{_pill(task['outcome'])}</td><td>{esc(task['reason'])}{detail}</td>"
            f"<td>{esc(declared)}</td></tr>"
        )
    return (
        '<section><h2>Tasks</h2><table id="tasks"><thead><tr><th>task</th><th>outcome</th>'
        f"<th>how</th><th>declaration</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</section>"
    )


def report_html(record: dict[str, Any]) -> str:
    """The complete reproduction page for ``record``."""
    run_id, verdict = record["run_id"], record["verdict"]
    header = (
        f"<h1>Reproduction of run {esc(run_id)}</h1> {_pill(verdict)}"
        '<nav><a href="../index.html">Run page</a>'
        f'<a href="{esc(record["id"])}.json">record (JSON)</a></nav>'
    )
    warnings = "".join(f"<li>{esc(w)}</li>" for w in record["warnings"])
    code = record["code"]
    params = record["parameters"]
    build = record["build"]
    sections = [
        f'<div class="banner" id="verdict">{esc(verdict_sentence(record))}</div>',
        f"<section><h2>Warnings</h2><ul>{warnings}</ul></section>" if warnings else "",
        _environment(record["environment"]),
        _tasks(record["tasks"]),
        "<section><h2>Code, parameters, inputs</h2>"
        + kv_list(
            {
                "commit": code["commit"],
                "uncommitted diff re-applied": code["diff_hash"]
                if code["diff_applied"]
                else "none",
                "parameter overrides": params["overrides"] or "none",
                "inputs restored from the store": sorted(record["inputs"]["restored"]) or "none",
                "inputs already in place": record["inputs"]["in_place"] or "none",
                "reproduced by": f"nbops {record['nbops_version']}",
                "started": record["started_at"],
                "took": fmt_duration(record["duration_s"]),
            }
        )
        + "</section>",
        "<section><h2>Build</h2>"
        + kv_list(
            {
                "command": " ".join(build["argv"]),
                "exit code": build["exit_code"],
                "run status": build["status"],
            }
        )
        + f"<details><summary>log (end)</summary><pre>{esc(build['log_tail'])}</pre></details>"
        "</section>",
    ]
    return page(f"nbops reproduction of {run_id}: {verdict}", "".join(sections), header=header)


def reproductions_section(section: Any) -> str:
    """The run page's list of this run's reproductions (manifest section ``reproductions``)."""
    if not isinstance(section, dict):
        return ""
    items = [item for item in section.get("items", []) if isinstance(item, dict)]
    if not items:
        return ""
    rows = []
    for item in reversed(items):  # newest first
        first = item.get("first_diverged") or {}
        how = f"{first.get('task')}: {first.get('reason')}" if first else ""
        env = "" if item.get("environment_identical") else "environment differed"
        rows.append(
            f'<tr><td><a href="{safe_href(item.get("report", ""))}">{esc(item.get("id"))}</a></td>'
            f"<td>{esc(item.get('started_at'))}</td><td>{_pill(str(item.get('verdict')))}</td>"
            f"<td>{esc(how)}</td><td>{esc(env)}</td></tr>"
        )
    return (
        '<section><h2>Reproductions</h2><table id="reproductions"><thead><tr><th>reproduction</th>'
        "<th>started</th><th>verdict</th><th>first divergence</th><th>environment</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )
