"""Run-page sections fed by other features' manifest sections, and provenance.

``gates`` and ``registry`` are written by nbops.registry, ``monitoring`` by
nbops.monitoring; each is shown only when present, and unknown fields are
shown generically (escaped) rather than dropped, so a feature can add fields
without a report change. The markup is in ``templates/pages/sections.html.j2``
(autoescaped); these functions choose what to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nbops.contracts import Manifest, Provenance
from nbops.reports._templates_env import macro

KEY_PACKAGES = ("nbops", "ploomber", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel",
                "jupytext", "numpy", "pandas", "scikit-learn", "scipy", "pandera", "pyarrow",
                "skops", "matplotlib")
_GATE_COLUMNS = ("name", "verdict", "value", "threshold", "expression", "detail")
_DRIFT_COLUMNS = ("kind", "status", "psi", "ks", "missing_current", "unseen_share")
_SECTIONS = "sections.html.j2"


def gates_section(gates: Any) -> str:
    """Quality-gate verdicts, one row per gate."""
    if not isinstance(gates, dict):
        return ""
    results = [r for r in gates.get("results", []) if isinstance(r, dict)]
    extra = sorted({k for r in results for k in r} - set(_GATE_COLUMNS))
    columns = [c for c in _GATE_COLUMNS if any(c in r for r in results)] + extra
    others = {k: v for k, v in gates.items() if k not in ("verdict", "results", "measured")}
    return str(macro(_SECTIONS, "gates")(gates, results, columns, others))


def registry_section(registry: Any) -> str:
    """What the model registry decided for this run: the sentence, then a table of numbers."""
    if not isinstance(registry, dict):
        return ""
    before = registry.get("champion_before")
    before = before if isinstance(before, dict) else {}
    facts = {"model": registry.get("model"), "version": registry.get("version"),
             "champion before": before.get("version"),
             "champion after": registry.get("champion_after"),
             "primary metric": registry.get("primary_metric"), "mode": registry.get("mode")}
    candidate = registry.get("candidate_metrics")
    champion = before.get("metrics")
    deltas = registry.get("deltas")
    shown = {"decision", "model", "version", "champion_before", "champion_after",
             "primary_metric", "mode", "candidate_metrics", "deltas", "promoted"}
    rest = {k: v for k, v in registry.items() if k not in shown and v not in (None, "", {})}
    return str(macro(_SECTIONS, "registry")(
        registry, {k: v for k, v in facts.items() if v is not None},
        candidate if isinstance(candidate, dict) else {},
        champion if isinstance(champion, dict) else {},
        deltas if isinstance(deltas, dict) else {}, rest))


def monitoring_section(monitoring: Any) -> str:
    """Drift verdict, summary, problems and the per-feature drift table."""
    if not isinstance(monitoring, dict):
        return ""
    features = monitoring.get("features")
    rows = []
    if isinstance(features, dict):
        top = [n for n in monitoring.get("top_features") or [] if n in features]
        rows = [(name, features.get(name) or {})
                for name in top + [n for n in features if n not in top]]
    # each added drift test (a plug-in's too) is one more column, named by the test
    added = sorted({test for _, f in rows for test in f.get("tests") or {}})
    rows = [(name, {**f, **(f.get("tests") or {})}) for name, f in rows]
    shown = {"verdict", "summary", "problems", "features", "top_features", "banner"}
    rest = {k: v for k, v in monitoring.items() if k not in shown}
    return str(macro(_SECTIONS, "monitoring")(monitoring, rows, [*_DRIFT_COLUMNS, *added],
                                              rest))


def notice_banners(manifest: Manifest) -> str:
    """Amber or red banners for a gated run and for monitoring warnings or alerts."""
    gated = manifest.get("status") == "gated"
    gates = manifest.get("gates")
    results = gates.get("results", []) if gates else []
    failed = [str(r.get("name")) for r in results
              if isinstance(r, dict) and r.get("verdict") == "failed"]
    monitoring = manifest.get("monitoring")
    banner = monitoring.get("banner") if isinstance(monitoring, dict) else None
    alert = isinstance(monitoring, dict) and monitoring.get("verdict") == "alert"
    return str(macro(_SECTIONS, "notices")(gated, failed, banner, alert)).strip()


def params_section(manifest: Manifest) -> str:
    """Each task's resolved parameters, and the env (both redacted by the ledger)."""
    blocks = [(task, params) for task, params in manifest.get("params", {}).items() if params]
    env = manifest.get("env") or {}
    if not blocks and not env:
        return ""
    return str(macro(_SECTIONS, "params")(blocks, env))


def provenance_section(provenance: Provenance) -> str:
    """Commit, dirty flag, Python, platform, key packages, hashes and seeds.

    Shown as far as recorded (a live page may show a record that is still partial).
    """
    git: Mapping[str, object] = provenance.get("git") or {}
    dirty = git.get("dirty")
    facts: dict[str, object] = {
        "commit": git.get("commit"),
        "branch": git.get("branch"),
        "dirty": "yes (uncommitted changes)" if dirty else ("no" if dirty is False else None),
        "diff hash": git.get("diff_hash"),
        "python": provenance.get("python"),
        "platform": provenance.get("platform"),
        "lock hash": provenance.get("lock_hash"),
    }
    facts = {k: v for k, v in facts.items() if v not in (None, "")}
    packages: Mapping[str, str] = provenance.get("packages") or {}
    key_packages = {name: packages[name] for name in KEY_PACKAGES if name in packages}
    tables: list[tuple[str, Mapping[str, object] | None]] = [
        (f"All {len(packages)} installed packages", packages),
        ("Seeds", provenance.get("seeds")), ("Source hashes", provenance.get("sources")),
        ("Input data hashes", provenance.get("inputs"))]
    folded = [(title, table) for title, table in tables if table]
    return str(macro(_SECTIONS, "provenance")(facts, key_packages, folded))
