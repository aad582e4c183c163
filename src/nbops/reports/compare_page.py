"""The site's compare page: pick runs on the runs table, see them side by side.

The site is static and must work from disk, so nothing is computed per pair of
runs in advance: each run page gets a small ``compare.js`` beside it (its
:func:`~nbops.reports.compare.record_of` record), and ``reports/compare.html``
loads the picked runs' files with ``<script>`` elements (which, unlike
``fetch``, work on ``file://``) and lays them out with the package's
``compare.js``. ``nbops compare -o FILE.html`` writes the same page with the
records inline: one self-contained, offline file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbops.core.atomic import atomic_write_text
from nbops.reports.compare import record_of
from nbops.reports.ledger_view import load_manifest, runs_dir
from nbops.reports.markup import asset, page

RECORD_FILE = "compare.js"


def _script_json(data: Any) -> str:
    """JSON that cannot end a ``<script>`` element or an HTML comment early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def run_record(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the compare page knows of one run."""
    return {"run_id": manifest["run_id"], "status": manifest.get("status"),
            "sections": record_of(manifest)}


def record_script(manifest: dict[str, Any]) -> str:
    """The ``runs/<id>/compare.js`` file of a run."""
    return ("window.NBOPS_RUNS = window.NBOPS_RUNS || {};\n"
            f"window.NBOPS_RUNS[{_script_json(manifest['run_id'])}] = "
            f"{_script_json(run_record(manifest))};\n")


def write_run_record(manifest: dict[str, Any], run_dir: Path) -> Path:
    """Write ``compare.js`` beside the run page."""
    dest = Path(run_dir) / RECORD_FILE
    atomic_write_text(dest, record_script(manifest))
    return dest


def compare_html(*, prefix: str = "", inline: list[dict[str, Any]] | None = None) -> str:
    """The compare page; ``inline`` records make it self-contained (no run files read)."""
    preset = ""
    if inline:
        preset = ("window.NBOPS_RUNS = {" + ",".join(
            f"{_script_json(r['run_id'])}: {_script_json(r)}" for r in inline) + "};\n"
            f"window.NBOPS_PICK = {_script_json([r['run_id'] for r in inline])};\n")
    header = ('<h1>Compare runs</h1>' + ("" if inline else
              f'<nav><a href="{prefix}index.html">All experiments</a></nav>'))
    body = (f'<div id="compare" data-prefix="{prefix}"></div>'
            '<noscript><p>The comparison is laid out by a small inline script; '
            "<code>nbops compare RUN_A RUN_B</code> prints it in a terminal.</p></noscript>")
    return page("nbops compare", body, header=header, script=preset + asset("compare.js"))


def write_site_compare_page(reports_dir: Path) -> Path:
    """``reports/compare.html`` (runs picked by its ``?runs=`` query)."""
    dest = Path(reports_dir) / "compare.html"
    atomic_write_text(dest, compare_html())
    return dest


def write_compare_page(reports_dir: Path, run_ids: list[str], output: Path) -> Path:
    """One offline HTML file comparing ``run_ids`` (``nbops compare -o``)."""
    records = [run_record(load_manifest(runs_dir(reports_dir) / rid)) for rid in run_ids]
    output = Path(output)
    atomic_write_text(output, compare_html(inline=records))
    return output
