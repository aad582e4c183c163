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
        return f"<td>{badge(str(value), verdict=True)}</td>"
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
    others = {k: v for k, v in gates.items() if k not in ("verdict", "results", "measured")}
    table = f'<table id="gates"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return (
        f"<section><h2>Quality gates {badge(str(gates.get('verdict', 'unknown')), verdict=True)}"
        "</h2>"
        f"{table if results else ''}{_measured_note(gates.get('measured'))}"
        f"{kv_list(others) if others else ''}</section>"
    )


def _measured_note(measured: Any) -> str:
    """Where the scores behind the gates came from (the figures are shown elsewhere)."""
    if not isinstance(measured, dict):
        return ""
    if measured.get("reused_from"):
        return (f'<p class="muted" id="gates-measured">Scores reused from run '
                f'{esc(measured["reused_from"])}: same model file, same train and test data, '
                "same feature schema and scoring package versions.</p>")
    return ('<p class="muted" id="gates-measured">Model and data measured in this run.</p>')


def registry_section(registry: Any) -> str:
    """What the model registry decided for this run: the sentence, then a table of numbers."""
    if not isinstance(registry, dict):
        return ""
    promoted = registry.get("promoted")
    status = badge("promoted") if promoted else ""
    label = " (not promoted)" if promoted is False else ""
    parts = [f"<section><h2>Model registry {status}<span class=\"muted\">{esc(label)}</span>"
             "</h2>"]
    if registry.get("decision"):
        parts.append(f'<p id="registry-decision">{esc(registry["decision"])}</p>')
    before = registry.get("champion_before") if isinstance(
        registry.get("champion_before"), dict) else {}
    assert isinstance(before, dict)
    facts = {"model": registry.get("model"), "version": registry.get("version"),
             "champion before": before.get("version"),
             "champion after": registry.get("champion_after"),
             "primary metric": registry.get("primary_metric"), "mode": registry.get("mode")}
    parts.append('<table id="registry-facts"><tbody>' + "".join(
        f"<tr><th>{esc(k)}</th>{_cell(k, v)}</tr>" for k, v in facts.items()
        if v is not None) + "</tbody></table>")
    candidate = registry.get("candidate_metrics")
    if isinstance(candidate, dict) and candidate:
        champion = before.get("metrics") if isinstance(before.get("metrics"), dict) else {}
        deltas = registry.get("deltas") if isinstance(registry.get("deltas"), dict) else {}
        assert isinstance(champion, dict) and isinstance(deltas, dict)
        rows = "".join(
            f"<tr><td>{esc(name)}</td>{_cell('candidate', value)}"
            f"{_cell('champion', champion.get(name))}{_cell('change', deltas.get(name))}</tr>"
            for name, value in candidate.items())
        parts.append(
            '<table id="registry-metrics"><thead><tr><th>metric (same held-out rows)</th>'
            '<th class="num">candidate</th><th class="num">champion</th>'
            f'<th class="num">change</th></tr></thead><tbody>{rows}</tbody></table>')
    shown = {"decision", "model", "version", "champion_before", "champion_after",
             "primary_metric", "mode", "candidate_metrics", "deltas", "promoted"}
    rest = {k: v for k, v in registry.items() if k not in shown and v not in (None, "", {})}
    if rest:
        parts.append(f"<details><summary>Details</summary>{kv_list(rest)}</details>")
    return "".join(parts) + "</section>"


_DRIFT_COLUMNS = ("kind", "status", "psi", "ks", "missing_current", "unseen_share")


def monitoring_section(monitoring: Any) -> str:
    """Drift verdict, summary, problems and the per-feature drift table."""
    if not isinstance(monitoring, dict):
        return ""
    verdict = monitoring.get("verdict")
    head = (
        f"<h2>Monitoring {badge(str(verdict), verdict=True)}</h2>" if verdict
        else "<h2>Monitoring</h2>"
    )
    parts = [head]
    if monitoring.get("summary"):
        parts.append(f"<p>{esc(monitoring['summary'])}</p>")
    problems = monitoring.get("problems") or []
    if problems:
        parts.append("<ul>" + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>")
    features = monitoring.get("features")
    if isinstance(features, dict) and features:
        top = list(monitoring.get("top_features") or [])
        order = top + [name for name in features if name not in top]
        head_row = "".join(f"<th>{esc(c)}</th>" for c in _DRIFT_COLUMNS)
        rows = "".join(
            f"<tr><td>{esc(name)}</td>"
            + "".join(_cell(c, (features.get(name) or {}).get(c)) for c in _DRIFT_COLUMNS)
            + "</tr>"
            for name in order
            if name in features
        )
        parts.append(
            f'<table id="drift"><thead><tr><th>feature</th>{head_row}</tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    shown = {"verdict", "summary", "problems", "features", "top_features", "banner"}
    rest = {k: v for k, v in monitoring.items() if k not in shown}
    if rest:
        parts.append(f"<details><summary>Details</summary>{kv_list(rest)}</details>")
    return f"<section>{''.join(parts)}</section>"


def notice_banners(manifest: dict[str, Any]) -> str:
    """Amber or red banners for a gated run and for monitoring warnings or alerts."""
    banners = []
    if manifest.get("status") == "gated":
        gates = manifest.get("gates") or {}
        failed = [r.get("name") for r in gates.get("results", []) if isinstance(r, dict)
                  and r.get("verdict") == "failed"]
        which = f" ({', '.join(str(n) for n in failed)})" if failed else ""
        banners.append(
            '<div class="banner warn" role="alert">Quality gates failed'
            f"{esc(which)}: the run is recorded as gated and the model was not promoted.</div>"
        )
    monitoring = manifest.get("monitoring")
    if isinstance(monitoring, dict) and monitoring.get("banner"):
        css = "banner" if monitoring.get("verdict") == "alert" else "banner warn"
        banners.append(f'<div class="{css}" role="alert">{esc(monitoring["banner"])}</div>')
    return "".join(banners)


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
    key_packages = {name: packages[name] for name in KEY_PACKAGES if name in packages}
    if key_packages:
        parts.append(f"<h3>Key packages</h3>{kv_list(key_packages)}")
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
