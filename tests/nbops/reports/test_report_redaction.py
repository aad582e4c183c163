"""Secrets the ledger redacted stay out of rendered notebooks: every injected string whose
recorded value differs is replaced, at any depth, in sources and every text output."""

from __future__ import annotations

import base64

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nbops.adapters._papermill_adapter import INJECTED_PARAMETERS_TAG as INJECTED_TAG
from nbops.reports._page_redaction import (
    injected_literals,
    redact_notebook,
    secret_replacements,
)

MARK = "***redacted***"
INJECTED = """
api_token = "tok-123"
seed = 7
db = {"url": "postgres://u:pw-9@h/db", "pool": 5, "other": {"key": "k-77"}}
hosts = ["a.example", "pw-list"]
ignored = object()
a, b = 1, 2
"""
RECORDED = {"api_token": MARK, "seed": 7,
            "db": {"url": MARK, "pool": 5, "other": {"key": MARK}},
            "hosts": ["a.example", MARK], "unrelated": MARK}


def _notebook():
    injected = new_code_cell(INJECTED, metadata={"tags": [INJECTED_TAG]})
    untagged = new_code_cell('not_injected = "plain-1"')
    used = new_code_cell("print(api_token, db)", outputs=[
        new_output("stream", name="stdout", text="tok-123 postgres://u:pw-9@h/db\n"),
        new_output("error", ename="E", evalue="bad k-77", traceback=["line pw-list"]),
        new_output("execute_result", data={
            "text/plain": "tok-123", "text/html": ["<b>tok-123</b>"],
            "image/svg+xml": "<svg>tok-123</svg>",
            "application/json": {"token": "tok-123", "nested": ["pw-list"], "n": 1},
            "image/png": base64.b64encode(b"tok-123").decode(),
            "image/jpeg": "tok-123 as bytes"}, execution_count=1),
    ])
    return new_notebook(cells=[injected, untagged, used, new_markdown_cell("uses tok-123")])


def test_injected_literals_reads_simple_assignments_only() -> None:
    values = injected_literals(INJECTED)
    assert values == {"api_token": "tok-123", "seed": 7,
                      "db": {"url": "postgres://u:pw-9@h/db", "pool": 5,
                             "other": {"key": "k-77"}},
                      "hosts": ["a.example", "pw-list"]}
    assert injected_literals("x = (") == {}


def test_replacements_pair_raw_strings_with_their_markers_at_any_depth() -> None:
    nb = _notebook()
    # a URL keeps its non-secret parts: only the password inside it is a secret
    assert secret_replacements(nb, RECORDED) == {
        "tok-123": MARK, "postgres://u:pw-9@h/db": f"postgres://u:{MARK}@h/db",
        "pw-9": MARK, "k-77": MARK, "pw-list": MARK}
    assert secret_replacements(nb, None) == {} and secret_replacements(nb, {}) == {}
    untagged = new_notebook(cells=[new_code_cell(INJECTED)])
    assert secret_replacements(untagged, RECORDED) == {}
    empty = new_notebook(cells=[new_code_cell('s = ""', metadata={"tags": [INJECTED_TAG]})])
    assert secret_replacements(empty, {"s": MARK}) == {}  # nothing to find for ""
    mismatched = new_notebook(cells=[new_code_cell('s = ["x"]\nd = {"a": "y"}',
                                                   metadata={"tags": [INJECTED_TAG]})])
    assert secret_replacements(mismatched, {"s": MARK, "d": [MARK]}) == {}


def test_every_text_output_and_source_is_scrubbed_but_images_are_left() -> None:
    nb = _notebook()
    redact_notebook(nb, secret_replacements(nb, RECORDED))
    text = str(nb)
    for raw in ("tok-123", "pw-9", "k-77", "pw-list"):
        assert raw not in text.replace("tok-123 as bytes", ""), raw
    outputs = nb.cells[2].outputs
    assert outputs[0]["text"] == f"{MARK} postgres://u:{MARK}@h/db\n"
    assert outputs[1]["evalue"] == f"bad {MARK}" and outputs[1]["traceback"] == [f"line {MARK}"]
    data = outputs[2]["data"]
    assert data["text/plain"] == MARK and data["text/html"] == [f"<b>{MARK}</b>"]
    assert data["image/svg+xml"] == f"<svg>{MARK}</svg>"
    assert data["application/json"] == {"token": MARK, "nested": [MARK], "n": 1}
    assert data["image/png"] == base64.b64encode(b"tok-123").decode()  # binary: untouched
    assert data["image/jpeg"] == "tok-123 as bytes"
    assert nb.cells[3].source == f"uses {MARK}"
    assert "seed = 7" in nb.cells[0].source and '"pool": 5' in nb.cells[0].source


def test_no_replacements_leave_the_notebook_as_it_was() -> None:
    nb = _notebook()
    before = str(nb)
    redact_notebook(nb, {})
    assert str(nb) == before


def test_only_single_name_literal_assignments_count_and_order_does_not_matter() -> None:
    source = 'a = b = "x"\nprint("hi")\nbad = object()\ngood = "tok"\n'
    assert injected_literals(source) == {"good": "tok"}
    untagged = new_code_cell('token = "nope"')
    injected = new_code_cell('token = "tok-9"\nlist_ = ["s-1", "s-2"]',
                             metadata={"tags": [INJECTED_TAG]})
    nb = new_notebook(cells=[untagged, injected])
    assert secret_replacements(nb, {"token": MARK, "list_": [MARK]}) == {"tok-9": MARK,
                                                                         "s-1": MARK}
