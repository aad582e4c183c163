"""A page per registered model version: ``reports/models/<name>-v<version>.html``.

What the registry knows of the version (metrics, the data it was trained and
tested on, its feature schema, the gates it passed) beside what the ledger
knows (the run that trained it, every run that registered or monitored it,
and its promotions and rollbacks from the registry's alias history). Read from
``.nbops/registry/models.json`` and the run index only.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from nbops.reports.markup import badge, esc, fmt_number, page
from nbops.reports.paths import rel_href

log = logging.getLogger("nbops")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_page_name(model: str, version: int) -> str:
    """File name of a version's page (registry names are already file-name safe)."""
    return f"{_UNSAFE.sub('-', model)}-v{int(version)}.html"


def _size(count: Any) -> str:
    if not isinstance(count, int):
        return ""
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _run_link(run_id: Any) -> str:
    if not isinstance(run_id, str):
        return '<span class="muted">\u2013</span>'
    return f'<a href="../runs/{esc(rel_href(run_id))}/index.html">{esc(run_id)}</a>'


def _file_rows(record: dict[str, Any]) -> str:
    rows = []
    for key, label in (("training_data", "training data"), ("test_data", "test data"),
                       ("artifact", "model file")):
        item = record.get(key)
        if isinstance(item, dict):
            rows.append(f"<tr><td>{label}</td><td>{esc(item.get('path'))}</td>"
                        f'<td class="num">{_size(item.get("size"))}</td>'
                        f"<td><code>{esc(str(item.get('hash', ''))[:19])}</code></td></tr>")
    return ('<table id="model-data"><thead><tr><th></th><th>path</th><th class="num">size</th>'
            f"<th>hash</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def version_html(name: str, model: dict[str, Any], record: dict[str, Any],
                 summaries: list[dict[str, Any]]) -> str:
    """The page of version ``record`` of model ``name``."""
    version = record["version"]
    aliases = [a for a, v in (model.get("aliases") or {}).items() if v == version]
    header = (f"<h1>{esc(name)}:{esc(version)}</h1> "
              + "".join(badge("promoted") if a == "champion" else
                        f'<span class="badge s-not_run">@{esc(a)}</span>' for a in aliases)
              + '<nav><a href="../index.html">All experiments</a></nav>')
    metrics = record.get("metrics") or {}
    metric_rows = "".join(f'<tr><td>{esc(k)}</td><td class="num">{fmt_number(v)}</td></tr>'
                          for k, v in metrics.items())
    features = (record.get("feature_schema") or {}).get("features") or []
    feature_list = ", ".join(esc(f.get("name")) for f in features if isinstance(f, dict))
    history = [h for h in model.get("history") or []
               if isinstance(h, dict) and version in (h.get("to"), h.get("from"))]
    history_rows = "".join(
        f"<tr><td>{esc(str(h.get('at', ''))[:19].replace('T', ' '))}</td>"
        f"<td>{esc(h.get('action'))}</td><td>@{esc(h.get('alias'))}</td>"
        f"<td>{esc(h.get('from'))} → {esc(h.get('to'))}</td><td>{esc(h.get('reason'))}</td>"
        f"<td>{_run_link((h.get('by') or {}).get('run_id'))}</td></tr>" for h in history)
    used = [s for s in summaries if (s.get("model_version") or {}) ==
            {"model": name, "version": version}]
    used_rows = "".join(
        f"<tr><td>{_run_link(s['run_id'])}</td><td>{badge(s.get('status'))}</td>"
        f"<td>{'monitoring ' + esc(s['monitoring_verdict']) if s.get('monitoring_verdict') else 'registered'}</td>"  # noqa: E501
        f"<td>{esc(s.get('gates_verdict') or '')}</td></tr>" for s in used)
    gates = record.get("gates")
    body = (
        f'<section class="facts"><div><span class="muted">trained by</span> '
        f"{_run_link(record.get('run_id'))}</div><div><span class=\"muted\">registered</span> "
        f"{esc(str(record.get('registered_at', ''))[:19].replace('T', ' '))}</div>"
        f'<div><span class="muted">git</span> {esc(str(record.get("git_commit") or "")[:12])}'
        f'</div><div><span class="muted">gates</span> {esc(gates)}</div></section>'
        f'<section><h2>Metrics at registration</h2><table id="model-metrics"><tbody>'
        f"{metric_rows}</tbody></table></section>"
        f"<section><h2>Data</h2>{_file_rows(record)}"
        f'<p class="muted">Input features: {feature_list or "–"}</p></section>'
        '<section><h2>Promotions</h2>'
        + (f'<table id="model-history"><thead><tr><th>when (UTC)</th><th>action</th>'
           f"<th>alias</th><th>versions</th><th>reason</th><th>by run</th></tr></thead><tbody>"
           f"{history_rows}</tbody></table>" if history_rows
           else '<p class="muted">Never promoted.</p>')
        + "</section><section><h2>Runs that used it</h2>"
        + (f'<table id="model-runs"><thead><tr><th>run</th><th>status</th><th>how</th>'
           f"<th>gates</th></tr></thead><tbody>{used_rows}</tbody></table>" if used_rows
           else '<p class="muted">No run in this ledger registered or monitored it.</p>')
        + "</section>")
    return page(f"nbops model {name}:{version}", body, header=header)


def models_section(registry: dict[str, Any]) -> str:
    """The front page's list of registered versions, linking their pages."""
    rows = []
    for name, model in (registry.get("models") or {}).items():
        aliases = model.get("aliases") or {}
        for record in reversed(model.get("versions") or []):
            version = record["version"]
            tags = " ".join(f"@{a}" for a, v in aliases.items() if v == version)
            metrics = record.get("metrics") or {}
            head = next(iter(metrics.items()), None)
            rows.append(
                f'<tr><td><a href="models/{esc(model_page_name(name, version))}">'
                f"{esc(name)}:{esc(version)}</a></td><td>{esc(tags)}</td>"
                f"<td>{esc(head[0]) + ' ' + fmt_number(head[1]) if head else ''}</td>"
                f"<td>{_run_link(record.get('run_id')).replace('../', '')}</td></tr>")
    if not rows:
        return ""
    return ('<section><h2>Registered models</h2><div class="scroll"><table id="models"><thead>'
            "<tr><th>version</th><th>aliases</th><th>metric</th><th>trained by</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div></section>")


def read_registry(reports_dir: Path) -> dict[str, Any]:
    """The project's registry (``reports/``'s project), empty when there is none or it is bad."""
    from nbops.core.errors import NbopsError
    from nbops.registry import registry_file

    root = Path(reports_dir).resolve().parent
    if not registry_file.registry_path(root).is_file():
        return {}
    try:
        return dict(registry_file.read(root))
    except NbopsError as exc:  # the registry's own commands say how to fix it
        log.warning("nbops: model pages skipped: %s", exc)
        return {}


def write_model_pages(reports_dir: Path, registry: dict[str, Any],
                      summaries: list[dict[str, Any]]) -> list[Path]:
    """One page per registered version under ``reports/models/``."""
    from nbops.reports.render import write_if_changed

    folder = Path(reports_dir) / "models"
    written = []
    for name, model in (registry.get("models") or {}).items():
        for record in model.get("versions") or []:
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / model_page_name(name, record["version"])
            write_if_changed(dest, version_html(name, model, record, summaries))
            written.append(dest)
    return written
