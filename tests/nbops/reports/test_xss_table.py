"""XSS payloads through every string a page renders, checked on the rendered HTML.

One hostile ledger (module scope) carries a payload in each place a manifest
string reaches a page: task names, parameter names and values, env values,
metric names, gate names and details, registry decisions, monitoring banners,
summaries, problems, feature names and drift rows, error messages, the
command line, git branch, package names, reproduction links. Every page is
rendered; each row names where the payload went and asserts that no page holds
it as live markup (the browser test proves the same in Chromium for a subset).
"""

from __future__ import annotations

import json
import re

import pytest
from reports_fixture import SECRET, XSS_IMG, XSS_SCRIPT, make_run, run_id_at

from card_sections import hostile_card, registry_with_version
from nbops.reports._publish import publish_html
from nbops.reports._render import render_run, render_site

JS_URL = "javascript:window.__xss=1"
SVG = '<svg onload="window.__xss=1">'
PAYLOADS = (XSS_SCRIPT, XSS_IMG, SVG)

# where each payload is planted: (row id, manifest keys it reaches)
WHERE = [
    "task name", "parameter name", "parameter value", "env value", "metric name",
    "gate name", "gate detail", "gate expression", "registry decision", "champion note",
    "monitoring banner", "monitoring summary", "monitoring problem", "feature name",
    "drift row kind", "drift row status", "error message", "failed cell evalue", "command",
    "git branch", "package name", "reproduction verdict", "reproduction link",
    "model card (written part, slices, inputs, gates, data)",
    "task that is not a notebook (name, kind, source text, parameter, product, error)",
]


def _hostile_sections(p: str) -> dict:
    return {
        "params": {"train": {f"name{p}": f"value{p}", "seed": 7}},
        "env": {"db": {"host": f"h{p}"}},
        "command": ["ploomber", "build", f"--env--x{p}"],
        "gates": {"verdict": "failed", "results": [
            {"name": f"gate{p}", "verdict": "failed", "value": 0.1, "threshold": 0.5,
             "expression": f"roc_auc >= {p}", "detail": f"detail{p}"}]},
        "monitoring": {"verdict": "alert", "summary": f"summary{p}", "banner": f"banner{p}",
                       "problems": [f"problem{p}"], "top_features": [f"feat{p}"],
                       "features": {f"feat{p}": {"kind": f"kind{p}", "status": f"st{p}",
                                                 "psi": 0.3, "ks": 0.2}}},
        "card": hostile_card(p),
        "registry": {"model": "churn", "version": 1, "promoted": False,
                     "decision": f"decision{p}", "champion_note": f"note{p}",
                     "champion_before": None},
        "reproductions": {"items": [{"id": f"rep{p}", "started_at": "2026-01-01",
                                     "verdict": f"verdict{p}", "first_diverged": None,
                                     "environment_identical": True, "report": JS_URL}]},
    }


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every page of a ledger whose strings all carry payloads, by file name."""
    reports = tmp_path_factory.mktemp("xss") / "reports"
    make_run(reports, run_id_at(1))
    runs = []
    for index, payload in enumerate(PAYLOADS, start=2):
        extra = _hostile_sections(payload)
        run = make_run(reports, run_id_at(index), hostile=True, extra=extra,
                       status="failed" if index == 3 else "succeeded")
        runs.append(run)
    # a failed run whose error message and failed cell carry payloads, and whose git
    # branch and a package name do
    failed = make_run(reports, run_id_at(9), status="failed", hostile=True, extra={
        "failure": {"task": "train", "cell_index": 9, "ename": f"E{XSS_IMG}",
                    "evalue": XSS_SCRIPT, "message": f"train failed: {SVG}"},
        "provenance": {"git": {"commit": "0", "branch": f"b{XSS_SCRIPT}", "dirty": False,
                               "diff_hash": None},
                       "python": "3.11", "platform": SVG, "packages": {f"p{XSS_IMG}": "1"},
                       "lock_hash": None, "sources": {}, "inputs": {}, "seeds": {}}})
    runs.append(failed)
    _add_function_task(failed, reports.parent)
    # the first hostile run registered churn:1: its card page renders its card section
    registry = reports.parent / ".nbops" / "registry" / "models.json"
    registry.parent.mkdir(parents=True)
    registry.write_text(json.dumps(registry_with_version(runs[0].name)))
    for run in sorted(p for p in (reports / "runs").iterdir() if p.is_dir()):
        render_run(run, reports_dir=reports)
    render_site(reports)
    shown = {str(p.relative_to(reports)): p.read_text("utf-8") for p in reports.rglob("*.html")}
    for run in runs:
        out = tmp_path_factory.mktemp("pub") / "page.html"
        publish_html(run.name, out, reports_dir=reports)
        shown[f"published {run.name}"] = out.read_text("utf-8")
    return shown


def _add_function_task(run_dir, project_root) -> None:  # type: ignore[no-untyped-def]
    """A failed function task whose every shown string carries a payload, and whose source
    holds a credential: its page (``nbops.reports._task_page``) must escape and mask them."""
    from nbops.contracts._manifest_file import write_manifest
    from nbops.core import hash_file

    source = project_root / "tasks" / "fn.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(f'# {XSS_SCRIPT} {SVG}\nDSN = "postgresql://u:{SECRET}@h/db"\n'
                      f'def fn(product):\n    raise ValueError("{XSS_IMG}")\n')
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["tasks"][f"fn{SVG}"] = {
        "status": "failed", "kind": f"Py{XSS_SCRIPT}", "duration_s": 0.1, "upstream": [],
        "source": {"path": "tasks/fn.py", "hash": hash_file(source)},
        "products": {f"k{XSS_IMG}": {"path": f"out/{XSS_SCRIPT}.csv", "hash": None,
                                     "size": None},
                     "t": {"path": f"{SVG} (table)", "hash": None, "size": None,
                           "kind": "external"}},
        "notebook": None, "produced_by": None, "metrics": {}, "artifacts": [],
        "error": {"ename": f"E{XSS_IMG}", "evalue": XSS_SCRIPT}}
    manifest["params"][f"fn{SVG}"] = {f"p{XSS_SCRIPT}": f"v{SVG}",
                                      "api_token": "***redacted***"}
    write_manifest(run_dir / "manifest.json", manifest)


def _live(html: str) -> list[str]:
    """Payload markup that a browser would run: raw tags, handlers or javascript: URLs."""
    found = [payload for payload in PAYLOADS if payload in html]
    found += re.findall(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
    found += re.findall(r"<[a-z]+[^>]*\son[a-z]+\s*=\s*[\"']?window\.__xss", html, re.I)
    return found


@pytest.mark.parametrize("where", WHERE)
def test_no_page_renders_a_payload_as_markup(pages: dict[str, str], where: str) -> None:
    # every row shares the same rendered ledger; the row names what was planted, and
    # the check below covers every page (a leak anywhere fails every row)
    leaks = {name: _live(html) for name, html in pages.items() if _live(html)}
    assert not leaks, leaks


def test_the_payloads_are_shown_as_text(pages: dict[str, str]) -> None:
    """The control: the strings did reach the pages (escaped), so the check above means it."""
    every = "\n".join(pages.values()).replace("&#34;", "&quot;")  # Jinja2's spelling
    for planted in ("gate&lt;script&gt;", "banner&lt;svg", "feat&lt;script&gt;",
                    "decision&quot;&gt;&lt;img", "summary&lt;script&gt;", "problem&lt;svg",
                    "b&lt;script&gt;", "name&lt;script&gt;", "use&lt;script&gt;",
                    "limit&lt;script&gt;", "slice&lt;script&gt;", "feature&lt;script&gt;"):
        assert planted in every, planted
    assert "models/churn-v1-card.html" in pages  # the card page was rendered
    task_page = next(html for name, html in pages.items() if "/html/fn-" in name)
    for planted in ("Py&lt;script&gt;", "# &lt;script&gt;", "p&lt;script&gt;", "v&lt;svg",
                    "E&#34;&gt;&lt;img", "out/&lt;script&gt;", "&lt;svg onload"):
        assert planted in task_page, planted  # kind, source, parameter, error, product
    assert SECRET not in task_page and "postgresql://u:***redacted***@h/db" in task_page
