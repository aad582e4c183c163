"""Other features' manifest sections as terminal tables (``nbops show``).

Gates, registry, monitoring and reproductions are read by people: one row per
gate or per feature, numbers rounded, nested detail left to ``--json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbops.contracts import GatesSection, Manifest, MonitoringSection, RegistrySection
from nbops.core import printable
from nbops.reports._compare import cell


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Any:
    from rich.table import Table
    from rich.text import Text

    # Text, not markup: a name like "[/bold]" is shown; escape sequences are printable
    table = Table(title=Text(printable(title)), title_justify="left", show_edge=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*(Text(printable(cell(v))) for v in row))
    return table


def _facts(title: str, facts: Mapping[str, object]) -> Any:
    rows = [[k, v] for k, v in facts.items()
            if v is not None and not isinstance(v, dict | list)]
    return _table(title, ["", ""], rows)


def gates_table(gates: GatesSection) -> Any:
    rows = [[r.get("name"), r.get("verdict"), r.get("value"), r.get("threshold"),
             r.get("detail")] for r in gates.get("results", []) if isinstance(r, dict)]
    title = f"gates: {gates.get('verdict')}"
    if gates.get("error"):
        title += f" ({gates['error']})"
    return _table(title, ["gate", "verdict", "value", "threshold", "detail"], rows)


def registry_table(registry: RegistrySection) -> Any:
    before = registry.get("champion_before")
    facts = {"decision": registry.get("decision"), "model": registry.get("model"),
             "version": registry.get("version"), "promoted": registry.get("promoted"),
             "champion before": before.get("version") if before else None, "champion after":
             registry.get("champion_after"), "primary metric": registry.get("primary_metric")}
    tables = [_facts("registry", facts)]
    candidate = registry.get("candidate_metrics") or {}
    champion = (before.get("metrics") if before else None) or {}
    if candidate:
        rows = [[name, value, champion.get(name), (registry.get("deltas") or {}).get(name)]
                for name, value in candidate.items()]
        tables.append(_table("candidate vs champion (same held-out rows)",
                             ["metric", "candidate", "champion", "change"], rows))
    return tables


def monitoring_table(monitoring: MonitoringSection) -> Any:
    tables = [_facts(f"monitoring: {monitoring.get('verdict')}",
                     {"summary": monitoring.get("summary"), "rows": monitoring.get("rows")})]
    features = monitoring.get("features")
    if isinstance(features, dict) and features:
        top = [n for n in monitoring.get("top_features") or [] if n in features]
        order = top + [n for n in features if n not in top]
        added = sorted({t for n in order for t in (features[n] or {}).get("tests") or {}})
        rows = [[n, (features[n] or {}).get("status"), (features[n] or {}).get("psi"),
                 (features[n] or {}).get("ks"), (features[n] or {}).get("missing_current"),
                 *(((features[n] or {}).get("tests") or {}).get(t) for t in added)]
                for n in order]
        tables.append(_table("drift by feature", ["feature", "status", "psi", "ks",
                                                  "missing", *added], rows))
    return tables


def section_tables(manifest: Manifest, sections: list[str]) -> Any:
    """A rich Group of tables for the named manifest sections."""
    from rich.console import Group

    parts: list[Any] = []
    for name in sections:
        value = manifest.get(name)
        if not isinstance(value, dict):
            continue
        gates, registry = manifest.get("gates"), manifest.get("registry")
        monitoring, reproductions = manifest.get("monitoring"), manifest.get("reproductions")
        if name == "gates" and gates is not None:
            parts.append(gates_table(gates))
        elif name == "registry" and registry is not None:
            parts += registry_table(registry)
        elif name == "monitoring" and monitoring is not None:
            parts += monitoring_table(monitoring)
        elif name == "reproductions" and reproductions is not None:
            rows = [[i.get("id"), i.get("verdict"), diverged.get("task") if diverged else None]
                    for i in reproductions.get("items", []) if isinstance(i, dict)
                    for diverged in [i.get("first_diverged")]]
            parts.append(_table("reproductions", ["reproduction", "verdict", "first diverged"],
                                rows))
        else:
            parts.append(_facts(name, value))
    return Group(*parts)
