"""Runs side by side: parameters, data inputs, code, environment, packages, metrics.

:func:`compare_runs` turns two or more manifests into sections of rows, one value
per run, each row flagged when the runs differ on it. The same structure feeds
``nbops compare`` (a rich table, Markdown or JSON), ``nbops diff --markdown``
and the site's compare page (:func:`compare_data`, the per-run record the page
reads), so every view says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from nbops.contracts import JSONObject, JSONValue, Manifest
from nbops.core import experiment_of
from nbops.reports._summary import fmt, fmt_delta
from nbops.runs import flat_params

#: The packages always listed (others only when they differ).
KEY_PACKAGES = ("nbops", "ploomber", "papermill", "pandas", "numpy", "scikit-learn", "skops")


@dataclass
class Row:
    """One compared fact: its name and each run's value (``None``: absent)."""

    name: str
    values: list[JSONValue]

    @property
    def differs(self) -> bool:
        first = self.values[0]
        return any(v != first for v in self.values[1:])


@dataclass
class Section:
    """A titled group of rows (``Parameters``, ``Metrics`` …)."""

    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def changed(self) -> list[Row]:
        return [r for r in self.rows if r.differs]


class RowDocument(TypedDict):
    """One row of ``nbops compare --json``."""

    name: str
    values: list[JSONValue]
    differs: bool


class SectionDocument(TypedDict):
    """One section of ``nbops compare --json``."""

    title: str
    rows: list[RowDocument]


class ComparisonDocument(TypedDict):
    """``nbops compare --json``: the runs and each section's rows."""

    runs: list[str]
    sections: list[SectionDocument]


@dataclass
class Comparison:
    """Two or more runs compared (oldest run first is not required: the order given)."""

    run_ids: list[str]
    sections: list[Section]

    def section(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)

    def to_dict(self) -> ComparisonDocument:
        return {"runs": self.run_ids, "sections": [
            {"title": s.title, "rows": [{"name": r.name, "values": r.values,
                                         "differs": r.differs} for r in s.rows]}
            for s in self.sections]}


def _short(digest: Any) -> Any:
    """``blake3:0123456789ab…`` for people; equality is still decided on the full value."""
    if isinstance(digest, str) and digest.startswith("blake3:"):
        return digest[:19]
    return digest


def _rows(values: list[JSONObject], *, only: tuple[str, ...] | None = None,
          differing_only: bool = False) -> list[Row]:
    names: list[str] = []
    for mapping in values:
        names += [n for n in mapping if n not in names]
    rows = [Row(n, [m.get(n) for m in values]) for n in names]
    if differing_only:
        rows = [r for r in rows if r.differs or (only and r.name in only)]
    return rows


def record_of(manifest: Manifest) -> dict[str, JSONObject]:
    """What one run contributes to a comparison, section by section (JSON-ready)."""
    provenance = manifest["provenance"]
    git = provenance["git"]
    gates, registry = manifest.get("gates"), manifest.get("registry")
    monitoring, failure = manifest.get("monitoring"), manifest["failure"]
    run: JSONObject = {
        "status": manifest["status"],
        "experiment": experiment_of(manifest).label,
        "started (UTC)": manifest["started_at"],
        "duration (s)": manifest["duration_s"],
        "gates": (gates.get("verdict") if gates else None),
        "registry": (registry.get("decision") if registry else None),
        "monitoring": (monitoring.get("verdict") if monitoring else None),
        "failure": failure["message"] if failure else None,
    }
    task_params: JSONObject = {
        f"{task}.{name}": value for task, params in manifest["params"].items()
        for name, value in (flat_params(params) if isinstance(params, dict) else {}).items()}
    code: JSONObject = {"git commit": (git["commit"] or "")[:12] or None,
                        "uncommitted changes": git["dirty"],
                        "diff": _short(git["diff_hash"])}
    code.update({f"source {task}": _short(h) for task, h in provenance["sources"].items()})
    code.update({f"config {name}": _short(h)
                 for name, h in (provenance.get("config") or {}).items()})
    environment: JSONObject = {"python": provenance["python"],
                               "platform": provenance["platform"],
                               "lock file": _short(provenance["lock_hash"])}
    return {
        "Run": run,
        "Parameters": {**flat_params(manifest["env"])},
        "Task parameters": task_params,
        "Data inputs": {path: _short(h) for path, h in provenance["inputs"].items()},
        "Code": code,
        "Environment": environment,
        "Packages": dict(provenance["packages"]),
        "Metrics": dict(manifest["metrics"]),
        "Gates": {str(r.get("name")): r.get("verdict")
                  for r in (gates.get("results", []) if gates else []) if isinstance(r, dict)},
        "Tasks": {name: task["status"] for name, task in manifest["tasks"].items()},
    }


#: Sections whose unchanged rows are left out (they are long and mostly equal).
ONLY_CHANGES = ("Task parameters", "Packages", "Data inputs", "Code")


def compare_records(run_ids: list[str], records: list[dict[str, JSONObject]]) -> Comparison:
    """The comparison of runs given as :func:`record_of` records."""
    sections = []
    for title in records[0]:
        values = [r.get(title, {}) for r in records]
        if title == "Packages":
            rows = _rows(values, only=KEY_PACKAGES, differing_only=True)
        else:
            rows = _rows(values, differing_only=title in ONLY_CHANGES)
        sections.append(Section(title, rows))
    return Comparison(list(run_ids), sections)


def compare_runs(manifests: list[Manifest]) -> Comparison:
    """Compare two or more runs, in the order given."""
    return compare_records([m["run_id"] for m in manifests], [record_of(m) for m in manifests])


# ---------------------------------------------------------------- text renderings

def cell(value: Any) -> str:
    """A value as people read it: rounded numbers, ``-`` for absent, yes/no."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt(value)
    return str(value)


def metric_cell(value: Any, first: Any, index: int) -> str:
    """A metric of run ``index`` with its change against the first run."""
    text = cell(value)
    if index == 0 or not isinstance(value, int | float) or not isinstance(first, int | float):
        return text
    return f"{text} ({fmt_delta(float(value) - float(first))})"


def _md(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def comparison_markdown(comparison: Comparison, *, changes_only: bool = True) -> str:
    """GitHub-flavoured Markdown: one table per section, changed rows in bold.

    With ``changes_only`` a section lists only rows that differ (metrics always all).
    """
    ids = comparison.run_ids
    out = [f"### nbops: {len(ids)} runs compared", ""]
    out += [f"{chr(65 + i) if i < 26 else i + 1}: `{rid}`" + ("  " if i < len(ids) - 1 else "")
            for i, rid in enumerate(ids)]
    out.append("")
    letters = [chr(65 + i) if i < 26 else str(i + 1) for i in range(len(ids))]
    for section in comparison.sections:
        rows = section.rows if (section.title == "Metrics" or not changes_only) \
            else section.changed
        if not rows:
            continue
        out += [f"**{section.title}**", "",
                "| | " + " | ".join(letters) + " |", "|---|" + "---:|" * len(ids)]
        for row in rows:
            values = [metric_cell(v, row.values[0], i) if section.title == "Metrics" else cell(v)
                      for i, v in enumerate(row.values)]
            name = f"**{_md(row.name)}**" if row.differs else _md(row.name)
            out.append(f"| {name} | " + " | ".join(_md(v) for v in values) + " |")
        out.append("")
    unchanged = [s.title for s in comparison.sections if s.rows and not s.changed
                 and s.title != "Metrics"]
    if unchanged and changes_only:
        out.append(f"Identical: {', '.join(unchanged).lower()}.")
        out.append("")
    return "\n".join(out)


def comparison_table(comparison: Comparison, *, changes_only: bool = True) -> Any:
    """The comparison as ``rich`` renderables (one table per section)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    tables = []
    for section in comparison.sections:
        rows = section.rows if (section.title == "Metrics" or not changes_only) \
            else section.changed
        if not rows:
            continue
        table = Table(title=section.title, title_justify="left", show_edge=False)
        table.add_column("")
        for run_id in comparison.run_ids:
            table.add_column(run_id, justify="right", overflow="fold")
        for row in rows:
            style = "bold yellow" if row.differs else ""
            values = [metric_cell(v, row.values[0], i) if section.title == "Metrics" else cell(v)
                      for i, v in enumerate(row.values)]
            table.add_row(Text(row.name, style=style), *(Text(v, style=style) for v in values))
        tables.append(table)
    return Group(*tables)
