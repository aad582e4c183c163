"""Gate and drift tables escape every cell, checked on the rendered HTML without a browser.

The browser test (tests/browser) stays the end-to-end proof that nothing runs;
these string checks catch an unescaped cell on any machine, Chromium or not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reports_fixture import XSS_IMG, XSS_SCRIPT, make_run, run_id_at

from nbops.reports._render import render_run, render_site

SCRIPT_ESCAPED = "&lt;script&gt;window.__xss=1&lt;/script&gt;"
IMG_ESCAPED = "&quot;&gt;&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;"
FEATURE = f"tenure{XSS_IMG}"
HOSTILE_GATES = {
    "verdict": "failed",
    "results": [
        {"name": f"floor{XSS_SCRIPT}", "expression": f"m{XSS_IMG} >= 0.75", "kind": "absolute",
         "verdict": "failed", "value": 0.5, "threshold": 0.75,
         "detail": f"m{XSS_SCRIPT} = 0.5, needs >= 0.75", f"note{XSS_IMG}": XSS_SCRIPT},
        {"name": "odd", "expression": "x >= 1", "kind": XSS_SCRIPT, "verdict": XSS_IMG,
         "value": XSS_SCRIPT, "threshold": None, "detail": [XSS_SCRIPT]},
    ],
    f"extra{XSS_SCRIPT}": XSS_IMG,
}
HOSTILE_MONITORING = {
    "verdict": "alert",
    "summary": f"drift in {XSS_SCRIPT}",
    "banner": f"ALERT {XSS_IMG}",
    "problems": [f"column {XSS_SCRIPT} is missing"],
    "top_features": [FEATURE],
    "features": {
        FEATURE: {"kind": XSS_SCRIPT, "status": XSS_IMG, "psi": 0.25, "ks": XSS_SCRIPT,
                  "missing_current": None, "unseen_share": [XSS_IMG]},
        f"plan{XSS_SCRIPT}": {"kind": "categorical", "status": "warn", "psi": 0.01,
                              "ks": None, "missing_current": 0.0, "unseen_share": 0.5},
    },
    f"rest{XSS_IMG}": XSS_SCRIPT,
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    reports = tmp_path_factory.mktemp("escaping") / "reports"
    make_run(reports, run_id_at(1), write_notebooks=False)
    gated = make_run(reports, run_id_at(2), status="gated", write_notebooks=False,
                     extra={"gates": HOSTILE_GATES, "monitoring": HOSTILE_MONITORING})
    make_run(reports, run_id_at(3), write_notebooks=False,
             metrics={"live_roc_auc": 0.7, f"drift_psi.{FEATURE}": 0.3,
                      f"drift_psi.{XSS_SCRIPT}": 0.2})
    render_run(gated, notebooks=False)
    site = render_site(reports)
    # Jinja2 escapes quotes as &#34; / &#39;, html.escape as &quot; / &#x27;: one spelling
    same = {"&#34;": "&quot;", "&#39;": "&#x27;"}

    def read(path: Path) -> str:
        text = path.read_text("utf-8")
        for jinja, python in same.items():
            text = text.replace(jinja, python)
        return text

    return {"run": read(gated / "index.html"), "site": read(site)}


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(1)


def _assert_inert(text: str) -> None:
    assert XSS_SCRIPT not in text and XSS_IMG not in text
    assert "<script>window" not in text and "<img" not in text


def test_gate_table_cells_and_headers_are_escaped(pages) -> None:
    table = _table(pages["run"], "gates")
    _assert_inert(table)
    assert f"<td>floor{SCRIPT_ESCAPED}</td>" in table  # gate name
    assert f"<td>m{IMG_ESCAPED} &gt;= 0.75</td>" in table  # metric name in the expression
    assert f"<td>m{SCRIPT_ESCAPED} = 0.5, needs &gt;= 0.75</td>" in table  # detail
    assert f"<th>note{IMG_ESCAPED}</th>" in table  # an unknown field's name
    assert f"<td>{SCRIPT_ESCAPED}</td>" in table  # its value, and a string value
    assert f'data-status="{IMG_ESCAPED}"' in table  # an unknown verdict's badge


def test_drift_table_cells_and_feature_names_are_escaped(pages) -> None:
    table = _table(pages["run"], "drift")
    _assert_inert(table)
    assert f"<td>tenure{IMG_ESCAPED}</td>" in table  # feature name
    assert f"<td>plan{SCRIPT_ESCAPED}</td>" in table
    assert f"<td>{SCRIPT_ESCAPED}</td>" in table  # a string where a number belongs
    assert f"<td>{IMG_ESCAPED}</td>" in table  # a forged status
    assert table.index(f"tenure{IMG_ESCAPED}") < table.index(f"plan{SCRIPT_ESCAPED}")


def test_the_rest_of_the_run_page_is_escaped_too(pages) -> None:
    html = pages["run"]
    _assert_inert(html)
    assert f"(floor{SCRIPT_ESCAPED})" in html  # the gated banner names the failed gate
    assert f"ALERT {IMG_ESCAPED}" in html  # the monitoring banner
    assert f"<p>drift in {SCRIPT_ESCAPED}</p>" in html
    assert f"<li>column {SCRIPT_ESCAPED} is missing</li>" in html
    assert f"<dt>extra{SCRIPT_ESCAPED}</dt>" in html and f"<dt>rest{IMG_ESCAPED}</dt>" in html


def test_drift_chart_titles_on_the_site_page_are_escaped(pages) -> None:
    html = pages["site"]
    _assert_inert(html)
    assert f"tenure{IMG_ESCAPED}" in html
