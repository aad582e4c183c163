import re

import nbformat
import pytest
from reports_fixture import PNG_1PX, SECRET, XSS_IMG, output_notebook

from nbops.reports._notebook_page import NotebookPage, render_notebook

PARAMS = {"seed": 7, "label": "churn", "api_token": SECRET}
RECORDED = {"seed": 7, "label": "churn", "api_token": "***redacted***"}


@pytest.fixture(scope="module")
def failed_html() -> str:
    nb = output_notebook("train", PARAMS, fail=True)
    return render_notebook(nb, NotebookPage(task="train", run_id="r1", status="failed",
                                            error={"cell_index": 9, "ename": "ZeroDivisionError",
                                                   "evalue": "division by zero"},
                                            params=RECORDED))


def test_injected_parameters_cell_is_folded_not_shown_inline(failed_html):
    folded = re.search(r'<details class="nbops-injected">(.*?)</details>', failed_html, re.S)
    assert folded, "the injected-parameters cell must be wrapped in <details>"
    assert "seed" in folded.group(1) and "Parameters injected by Ploomber" in folded.group(1)
    assert failed_html.count('<details class="nbops-injected">') == 1


def test_failed_task_has_red_banner_linking_to_the_failed_cell(failed_html):
    banner = re.search(r'<div class="nbops-banner".*?</div>', failed_html, re.S).group(0)
    assert 'href="#nbops-failed-cell"' in banner and "ZeroDivisionError" in banner
    target = failed_html.index('id="nbops-failed-cell"')
    assert "division by zero" in failed_html[target:target + 3000]
    assert failed_html.index("nbops-banner") < failed_html.index('class="jp-Cell')
    # Papermill's own marker cells are replaced by the banner
    assert "papermill-error-cell" not in failed_html


def test_secrets_redacted_in_manifest_stay_redacted_in_the_page(failed_html):
    assert SECRET not in failed_html
    assert "***redacted***" in failed_html


def test_images_embedded_and_nothing_loaded_from_the_network(failed_html):
    assert f"data:image/png;base64,{PNG_1PX}" in failed_html
    assert not re.search(r'(src|href)="(https?:)?//', failed_html)
    assert "<script src" not in failed_html and "<link" not in failed_html


def test_output_html_is_sanitized_and_metadata_escaped(failed_html):
    assert "window.__xss=1</script>" not in failed_html.replace("&lt;/script&gt;", "")
    assert "onerror" not in failed_html
    assert XSS_IMG not in failed_html  # notebook metadata title is not injected raw
    assert "<table" in failed_html and "<th>a</th>" in failed_html  # DataFrames survive


def test_hide_code_drops_inputs_but_keeps_outputs():
    nb = output_notebook("train", PARAMS)
    shown = render_notebook(nbformat.from_dict(nb), NotebookPage(task="t", params=RECORDED))
    hidden = render_notebook(nb, NotebookPage(task="t", params=RECORDED, hide_code=True))
    assert "print" in shown and "print" not in hidden
    assert "0.5" in hidden and f"data:image/png;base64,{PNG_1PX}" in hidden
    assert 'id="nbops-toggle-code"' in shown and 'id="nbops-toggle-code"' not in hidden


def test_a_succeeded_notebook_has_no_banner():
    html = render_notebook(output_notebook("load", {"seed": 1}), NotebookPage(task="load",
                                                                             status="executed"))
    assert "nbops-banner" not in html.split("</style>")[-1]


def test_styled_estimator_reprs_are_shown_as_text():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    html = '<style>.sk-top-container{}</style><div class="sk-top-container">' + "x" * 5000
    nb = new_notebook(cells=[new_code_cell("model", execution_count=1, outputs=[new_output(
        "execute_result", execution_count=1,
        data={"text/html": html, "text/plain": "HistGradientBoostingClassifier()"})])])
    page = render_notebook(nb, NotebookPage(task="train"))
    assert "HistGradientBoostingClassifier()" in page and "sk-top-container" not in page


def test_nested_secret_parameters_are_redacted_everywhere_in_the_page():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    nb = new_notebook(cells=[
        new_code_cell("db = {'user': 'ann', 'password': 'pa55-w0rd-xyz'}",
                      metadata={"tags": ["injected-parameters"]}, execution_count=1),
        new_code_cell("print(db)", execution_count=2, outputs=[new_output(
            "stream", name="stdout", text="{'user': 'ann', 'password': 'pa55-w0rd-xyz'}\n")]),
    ])
    recorded = {"db": {"user": "ann", "password": "***redacted***"}}
    page = render_notebook(nb, NotebookPage(task="load", params=recorded))
    assert "pa55-w0rd-xyz" not in page
    assert page.count("***redacted***") >= 2 and "ann" in page
