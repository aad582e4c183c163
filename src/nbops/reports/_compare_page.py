"""The site's compare page: pick runs on the runs table, see them side by side.

The site is static and must work from disk, so nothing is computed per pair of
runs in advance: each run page gets a small ``compare.js`` beside it (its
:func:`~nbops.reports._compare.record_of` record), and ``reports/compare.html``
loads the picked runs' files with ``<script>`` elements (which, unlike
``fetch``, work on ``file://``) and lays them out with the package's
``compare.js``. ``nbops compare -o FILE.html`` writes the same page with the
records inline: one self-contained, offline file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from markupsafe import Markup

from nbops.contracts import JSONObject, Manifest, RunSummary
from nbops.core import atomic_write_text
from nbops.reports._compare import record_of
from nbops.reports._curves import curves_of
from nbops.reports._ledger_view import load_manifest, runs_dir
from nbops.reports._markup import asset, page
from nbops.reports._notebook_diff import DIFF_CSS
from nbops.reports._templates_env import render_string

RECORD_FILE = "compare.js"


def _script_json(data: Any) -> str:
    """JSON that cannot end a ``<script>`` element or an HTML comment early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class RunRecord(TypedDict):
    """What the compare page's script knows of one run (``runs/<id>/compare.js``)."""

    run_id: str
    status: str
    sections: dict[str, JSONObject]
    previous: str | None
    diffs: dict[str, str]
    curves: dict[str, dict[str, list[Any]]]


class NotebookEntry(TypedDict):
    """One task's notebook diff on the compare page."""

    task: str
    letter: str
    missing: bool
    changed: int
    html: str


def run_record(manifest: Manifest, previous: RunSummary | None = None,
               diffs: dict[str, str] | None = None) -> RunRecord:
    """What the compare page knows of one run (and its notebook diffs vs the previous run)."""
    return {"run_id": manifest["run_id"], "status": manifest.get("status"),
            "sections": record_of(manifest),
            "previous": previous["run_id"] if previous is not None else None,
            "diffs": diffs or {}, "curves": curves_of(manifest)}


def record_script(manifest: Manifest, previous: RunSummary | None = None,
                  diffs: dict[str, str] | None = None) -> str:
    """The ``runs/<id>/compare.js`` file of a run."""
    return ("window.NBOPS_RUNS = window.NBOPS_RUNS || {};\n"
            f"window.NBOPS_RUNS[{_script_json(manifest['run_id'])}] = "
            f"{_script_json(run_record(manifest, previous, diffs))};\n")


def write_run_record(manifest: Manifest, run_dir: Path,
                     previous: RunSummary | None = None,
                     diffs: dict[str, str] | None = None) -> Path:
    """Write ``compare.js`` beside the run page."""
    dest = Path(run_dir) / RECORD_FILE
    atomic_write_text(dest, record_script(manifest, previous, diffs), durable=False)
    return dest


def compare_html(*, prefix: str = "", inline: list[RunRecord] | None = None,
                 notebooks: str = "") -> str:
    """The compare page; ``inline`` records make it self-contained (no run files read).

    Args:
        notebooks: already-rendered notebook diffs (``nbops compare -o``).
    """
    preset = ""
    if inline:
        preset = ("window.NBOPS_RUNS = {" + ",".join(
            f"{_script_json(r['run_id'])}: {_script_json(r)}" for r in inline) + "};\n"
            f"window.NBOPS_PICK = {_script_json([r['run_id'] for r in inline])};\n")
    header = render_string(
        '<h1>Compare runs</h1>{% if not inline %}<nav><a href="{{ prefix }}index.html">'
        "All experiments</a></nav>{% endif %}", prefix=prefix, inline=bool(inline))
    body = render_string(
        '<div id="compare" data-prefix="{{ prefix }}"></div>{{ notebooks }}<noscript><p>The '
        "comparison is laid out by a small inline script; <code>nbops compare RUN_A RUN_B"
        "</code> prints it in a terminal.</p></noscript>", prefix=prefix,
        notebooks=Markup(notebooks))
    return page("nbops compare", body, header=header, script=preset + asset("compare.js"),
                css=DIFF_CSS)


def write_site_compare_page(reports_dir: Path) -> Path:
    """``reports/compare.html`` (runs picked by its ``?runs=`` query)."""
    from nbops.reports._render import write_if_changed

    dest = Path(reports_dir) / "compare.html"
    write_if_changed(dest, compare_html())
    return dest


def compare_page_html(reports_dir: Path, run_ids: list[str]) -> str:
    """One self-contained page comparing ``run_ids``, notebooks diffed cell by cell.

    Raises:
        LedgerError: a run is missing or its manifest is unreadable.
    """
    manifests = [load_manifest(runs_dir(reports_dir) / rid) for rid in run_ids]
    records = [run_record(m) for m in manifests]
    return compare_html(inline=records, notebooks=notebooks_section(reports_dir, manifests))


def write_compare_page(reports_dir: Path, run_ids: list[str], output: Path) -> Path:
    """One offline HTML file comparing ``run_ids`` (``nbops compare -o``)."""
    output = Path(output)
    atomic_write_text(output, compare_page_html(reports_dir, run_ids))
    return output


def _notebook_file(reports_dir: Path, manifest: Manifest, task: str) -> Path | None:
    recorded = manifest["tasks"].get(task)
    notebook = recorded["notebook"] if recorded is not None else None
    if not notebook or not notebook["path"]:
        return None
    found = runs_dir(reports_dir) / manifest["run_id"] / notebook["path"]
    return found if found.is_file() else None


def notebooks_section(reports_dir: Path, manifests: list[Manifest]) -> str:
    """Task by task, each run's executed notebook diffed cell by cell against the first's."""
    from markupsafe import Markup

    from nbops.reports._notebook_diff import diff_notebook_files
    from nbops.reports._templates_env import render

    first = manifests[0]
    tasks = list(first.get("tasks") or {})
    entries: list[NotebookEntry] = []
    for other_index, other in enumerate(manifests[1:], start=1):
        letter = chr(65 + other_index) if other_index < 26 else str(other_index + 1)
        for task in tasks + [t for t in other.get("tasks") or {} if t not in tasks]:
            a = _notebook_file(reports_dir, first, task)
            b = _notebook_file(reports_dir, other, task)
            entry: NotebookEntry = {"task": task, "letter": letter, "missing": a is None
                                    or b is None, "changed": 0, "html": ""}
            if a is not None and b is not None:
                pairs, html = diff_notebook_files(a, b, (first.get("params") or {}).get(task),
                                                  (other.get("params") or {}).get(task))
                entry["changed"] = sum(1 for p in pairs if p.kind != "same")
                entry["html"] = Markup(html)
            entries.append(entry)
    return render("compare_notebooks.html.j2", first=first["run_id"], entries=entries)
