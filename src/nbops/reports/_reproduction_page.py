"""The reproduction report: one self-contained HTML page per reproduction.

It lives at ``reports/runs/<run_id>/reproductions/<id>.html`` and links back
to the run page (``../index.html``). Every value shown comes from the record
and is escaped: the page is the ``reproduction.html.j2`` template (autoescaped);
this module only prepares the values.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from nbops.contracts import LockComparison, ReproducedTask, ReproductionRecord
from nbops.reports._markup import fmt_duration, page, safe_href
from nbops.reports._templates_env import macro

_TEMPLATE = "reproduction.html.j2"


def verdict_sentence(record: ReproductionRecord) -> str:
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


def _lock_sentence(lock: LockComparison) -> str:
    recorded = lock["recorded_hash"]
    if recorded is None:
        return f"the run recorded no {lock['path']}."
    same = "matches" if lock["matches"] else f"differs ({lock['current_hash'] or 'absent'})"
    return f"the run was made with {lock['path']} {recorded}; the current one {same}."


def _declaration(task: ReproducedTask) -> str:
    declared = "declared non-deterministic" if task["nondeterministic"] else ""
    tol = task["tolerance"]
    if tol:
        parts = [f"±{tol['default']:g}"] if tol["default"] is not None else []
        parts += [f"{k} ±{v:g}" for k, v in sorted(tol["per_metric"].items())]
        declared += f" ({', '.join(parts) or 'exact metrics'})"
    return declared


def report_html(record: ReproductionRecord) -> str:
    """The complete reproduction page for ``record``."""
    code, params, build = record["code"], record["parameters"], record["build"]
    code_facts = {
        "commit": code["commit"],
        "uncommitted diff re-applied": code["diff_hash"] if code["diff_applied"] else "none",
        "parameter overrides": params["overrides"] or "none",
        "inputs restored from the store": sorted(record["inputs"]["restored"]) or "none",
        "inputs already in place": record["inputs"]["in_place"] or "none",
        "reproduced by": f"nbops {record['nbops_version']}",
        "started": record["started_at"],
        "took": fmt_duration(record["duration_s"]),
    }
    build_facts = {"command": " ".join(build["argv"]), "exit code": build["exit_code"],
                   "run status": build["status"]}
    tasks = [{**task, "declared": _declaration(task)} for task in record["tasks"]]
    body = macro(_TEMPLATE, "body")(record, verdict_sentence(record),
                                    _lock_sentence(record["environment"]["lock"]), tasks,
                                    code_facts, build_facts)
    return page(f"nbops reproduction of {record['run_id']}: {record['verdict']}", str(body),
                header=str(macro(_TEMPLATE, "header")(record)))


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
        rows.append({
            "href": Markup(safe_href(item.get("report", ""))),  # escaped there, and vetted
            "id": item.get("id"),
            "started_at": item.get("started_at"), "verdict": str(item.get("verdict")),
            "how": f"{first.get('task')}: {first.get('reason')}" if first else "",
            "env": "" if item.get("environment_identical") else "environment differed"})
    return str(macro(_TEMPLATE, "listing")(rows))
