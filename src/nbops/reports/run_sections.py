"""Run-page sections fed by other features' manifest sections, and provenance.

``gates`` and ``registry`` are written by nbops.registry, ``monitoring`` by
nbops.monitoring; each is shown only when present, and unknown fields are
shown generically (escaped) rather than dropped, so a feature can add fields
without a report change.
"""

from __future__ import annotations

from typing import Any

from nbops.reports.markup import badge, esc, fmt_number, fmt_value, kv_list

KEY_PACKAGES = ("nbops", "ploomber", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel",
                "jupytext", "numpy", "pandas", "scikit-learn", "scipy", "pandera", "pyarrow",
                "skops", "matplotlib")
_GATE_COLUMNS = ("name", "verdict", "value", "threshold", "expression", "detail")


def _cell(key: str, value: Any) -> str:
    if key == "verdict":
        return f"<td>{badge(str(value))}</td>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{fmt_number(value)}</td>'
    if value is None:
        return '<td class="muted">\u2013</td>'
    if isinstance(value, dict | list):
        return f"<td>{fmt_value(value)}</td>"
    return f"<td>{esc(value)}</td>"


def gates_section(gates: Any) -> str:
    """Quality-gate verdicts, one row per gate."""
    if not isinstance(gates, dict):
        return ""
    results = [r for r in gates.get("results", []) if isinstance(r, dict)]
    extra = sorted({k for r in results for k in r} - set(_GATE_COLUMNS))
    columns = [c for c in _GATE_COLUMNS if any(c in r for r in results)] + extra
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(_cell(c, r.get(c)) for c in columns) + "</tr>" for r in results
    )
    others = {k: v for k, v in gates.items() if k not in ("verdict", "results")}
    table = f'<table id="gates"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return (
        f"<section><h2>Quality gates {badge(str(gates.get('verdict', 'unknown')))}</h2>"
        f"{table if results else ''}{kv_list(others) if others else ''}</section>"
    )


def registry_section(registry: Any) -> str:
    """What the model registry decided for this run."""
    if not isinstance(registry, dict):
        return ""
    promoted = registry.get("promoted")
    status = badge("promoted") if promoted else ""
    label = " (not promoted)" if promoted is False else ""
    return (
        f"<section><h2>Model registry {status}<span class=\"muted\">{esc(label)}</span></h2>"
        f"{kv_list(registry)}</section>"
    )


def monitoring_section(monitoring: Any) -> str:
    """Drift and monitoring results, shown generically."""
    if not isinstance(monitoring, dict):
        return ""
    return f"<section><h2>Monitoring</h2>{kv_list(monitoring)}</section>"


def params_section(manifest: dict[str, Any]) -> str:
    """Each task's resolved parameters, and the env (both redacted by the ledger)."""
    blocks = []
    for task, params in manifest.get("params", {}).items():
        if params:
            blocks.append(f"<h3>{esc(task)}</h3>{kv_list(params)}")
    env = manifest.get("env") or {}
    env_block = (
        f"<details><summary>env.yaml values</summary>{kv_list(env)}</details>" if env else ""
    )
    if not blocks and not env_block:
        return ""
    return f"<section><h2>Parameters</h2>{''.join(blocks)}{env_block}</section>"


def provenance_section(provenance: dict[str, Any]) -> str:
    """Commit, dirty flag, Python, platform, key packages, hashes and seeds."""
    git = provenance.get("git") or {}
    dirty = git.get("dirty")
    facts: dict[str, Any] = {
        "commit": git.get("commit"),
        "branch": git.get("branch"),
        "dirty": "yes (uncommitted changes)" if dirty else ("no" if dirty is False else None),
        "diff hash": git.get("diff_hash"),
        "python": provenance.get("python"),
        "platform": provenance.get("platform"),
        "lock hash": provenance.get("lock_hash"),
    }
    facts = {k: v for k, v in facts.items() if v not in (None, "")}
    parts = [kv_list(facts)]
    packages = provenance.get("packages") or {}
    key = {name: packages[name] for name in KEY_PACKAGES if name in packages}
    if key:
        parts.append(f"<h3>Key packages</h3>{kv_list(key)}")
    for key, title in (
        ("packages", f"All {len(packages)} installed packages"),
        ("seeds", "Seeds"),
        ("sources", "Source hashes"),
        ("inputs", "Input data hashes"),
    ):
        values = provenance.get(key)
        if values:
            parts.append(f"<details><summary>{title}</summary>{kv_list(values)}</details>")
    return f"<section><h2>Provenance</h2>{''.join(parts)}</section>"
