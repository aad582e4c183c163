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

from markupsafe import Markup

from nbops.contracts import RunSummary
from nbops.reports._markup import page
from nbops.reports._templates_env import render, render_string

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


def version_html(name: str, model: dict[str, Any], record: dict[str, Any],
                 summaries: list[RunSummary], card_page: str | None = None) -> str:
    """The page of version ``record`` of model ``name`` (template ``model.html.j2``)."""
    version = record["version"]
    aliases = [a for a, v in (model.get("aliases") or {}).items() if v == version]
    header = Markup(render_string(
        '<h1>{{ name }}:{{ version }}</h1> {% for a in aliases %}{% if a == "champion" %}'
        '{{ "promoted"|badge }}{% else %}<span class="badge s-not_run">@{{ a }}</span>'
        '{% endif %}{% endfor %}<nav><a href="../index.html">All experiments</a></nav>',
        name=name, version=version, aliases=aliases))
    files = [(label, record[key]) for key, label in (
        ("training_data", "training data"), ("test_data", "test data"),
        ("artifact", "model file")) if isinstance(record.get(key), dict)]
    features = [str(f.get("name")) for f in (record.get("feature_schema") or {}).get(
        "features") or [] if isinstance(f, dict)]
    history = [h for h in model.get("history") or []
               if isinstance(h, dict) and version in (h.get("to"), h.get("from"))]
    used = [s for s in summaries
            if (s.get("model_version") or {}) == {"model": name, "version": version}]
    body = render("model.html.j2", record=record, metrics=record.get("metrics") or {},
                  files=files, features=features, history=history, used=used, size=_size,
                  card_page=card_page)
    return page(f"nbops model {name}:{version}", body, header=header)


def models_section(registry: dict[str, Any]) -> str:
    """The front page's list of registered versions, linking their pages."""
    rows = []
    for name, model in (registry.get("models") or {}).items():
        aliases = model.get("aliases") or {}
        for record in reversed(model.get("versions") or []):
            version = record["version"]
            metrics = record.get("metrics") or {}
            rows.append({"name": name, "version": version,
                         "page": model_page_name(name, version),
                         "tags": " ".join(f"@{a}" for a, v in aliases.items() if v == version),
                         "metric": next(iter(metrics.items()), None),
                         "run_id": record.get("run_id")})
    return render("models.html.j2", rows=rows)


def read_registry(reports_dir: Path) -> dict[str, Any]:
    """The project's registry file (``reports/``'s project), empty when there is none or it is bad.

    Read as a document (JSON Schema in ``nbops.core``), not through the registry's
    own API: features do not import each other, and a page only displays it. The
    registry's commands refresh this file from the team remote and say how to fix
    a bad one.
    """
    import json

    from nbops.core import schema_errors

    path = Path(reports_dir).resolve().parent / ".nbops" / "registry" / "models.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.warning("nbops: model pages skipped: %s is unreadable (%s); nbops models says "
                    "how to fix it", path, exc)
        return {}
    errors = schema_errors(data, "registry")
    if errors:
        log.warning("nbops: model pages skipped: %s is invalid (%s); nbops models says how "
                    "to fix it", path, errors[0])
        return {}
    return dict(data)


def write_model_pages(reports_dir: Path, registry: dict[str, Any],
                      summaries: list[RunSummary]) -> list[Path]:
    """One page per registered version under ``reports/models/``."""
    from nbops.reports._card_page import card_html, card_of_version, card_page_name
    from nbops.reports._render import write_if_changed

    folder = Path(reports_dir) / "models"
    written = []
    for name, model in (registry.get("models") or {}).items():
        for record in model.get("versions") or []:
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / model_page_name(name, record["version"])
            card, card_page = card_of_version(reports_dir, record), None
            if card is not None:
                try:
                    html = card_html(name, record["version"], card, dest.name, summaries)
                except Exception as exc:  # a card another nbops wrote must not stop the site
                    log.warning("nbops: no card page for %s:%s (%s: %s)", name,
                                record["version"], type(exc).__name__, exc)
                else:
                    card_page = card_page_name(dest.name)
                    write_if_changed(folder / card_page, html)
            write_if_changed(dest, version_html(name, model, record, summaries, card_page))
            written.append(dest)
    return written
