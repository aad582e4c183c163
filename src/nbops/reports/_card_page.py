"""A page per registered version's model card: ``reports/models/<name>-v<version>-card.html``.

Rendered from the ``card`` section that ``nbops.cards`` wrote into the run
that registered the version (read as data: features do not import each
other), with the monitoring runs of the version from the run index. Linked
from the version's page and from the run page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from markupsafe import Markup

from nbops.contracts import CardSection, RunSummary
from nbops.core import NbopsError
from nbops.reports._markup import page
from nbops.reports._templates_env import render, render_string

log = logging.getLogger("nbops")
_WRITTEN = (("intended_use", "Intended use"), ("out_of_scope_uses", "Out-of-scope uses"),
            ("limitations", "Limitations"), ("risks", "Risks"),
            ("ethical_considerations", "Ethical considerations"), ("notes", "Notes"),
            ("owner", "Owner"))
_REQUIRED = ("intended_use", "out_of_scope_uses", "limitations", "owner")


def card_page_name(model_page: str) -> str:
    """The card page beside a version page (``churn-v3.html`` -> ``churn-v3-card.html``)."""
    return model_page.removesuffix(".html") + "-card.html"


def card_of_version(reports_dir: Path, record: dict[str, Any]) -> CardSection | None:
    """The ``card`` section of the run that registered ``record``, or None."""
    from nbops.reports._ledger_view import load_manifest, runs_dir

    run_id = record.get("registered_by_run") or record.get("run_id")
    if not isinstance(run_id, str):
        return None
    run_dir = runs_dir(reports_dir) / run_id
    if not (run_dir / "manifest.json").is_file():
        return None
    try:
        return load_manifest(run_dir).get("card")
    except NbopsError as exc:
        log.warning("nbops: no card page for run %s: %s", run_id, exc.problem)
        return None


def card_html(name: str, version: int, card: CardSection, model_page: str,
              summaries: list[RunSummary]) -> str:
    """The card page of ``name:version`` (template ``card.html.j2``)."""
    header = Markup(render_string(
        '<h1>Model card {{ name }}:{{ version }}</h1><nav><a href="{{ model_page|href }}">'
        'Version page</a><a href="../index.html">All experiments</a></nav>',
        name=name, version=version, model_page=model_page))
    human = card.get("human") or {}
    written = [(heading, human.get(key)) for key, heading in _WRITTEN
               if key in human or key in _REQUIRED]
    monitoring = [s for s in summaries
                  if (s.get("model_version") or {}) == {"model": name, "version": version}
                  and s.get("monitoring_verdict")]
    body = render("card.html.j2", card=card, human=written,
                  evaluation=card["evaluation"]["content"], monitoring=monitoring)
    return page(f"nbops model card {name}:{version}", body, header=header)
