"""The run folder's copy of a notebook, redacted exactly: only secret parameter lines of
the injected cell change, indentation and escapes survive, and everything else is kept."""

from __future__ import annotations

import json

from nbops.core._secrets import REDACTED, redact, whitelisted_env
from nbops.runs._notebook_redaction import needs_redaction, redact_notebook

PARAMS = {"api_token": "s3", "path": "C:\\data", "seed": 1, "db": {"password": "pw"}}


def _cell(source, tags=("injected-parameters",)):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": [],
            "source": source}


def test_only_the_secret_lines_of_the_injected_cell_change() -> None:
    injected = _cell(["# Parameters\n", '    api_token = "s3"\n', 'path = "C:\\\\data"\n',
                      'db = {"password": "pw"}\n', "seed = 1\n"])
    other = _cell('api_token = "s3"\n', tags=("parameters",))
    notebook = {"cells": [injected, other], "metadata": {"papermill": {"parameters": PARAMS}},
                "nbformat": 4, "nbformat_minor": 5}
    out = redact_notebook(json.dumps(notebook).encode(), PARAMS)
    assert out is not None and out.endswith(b"}\n")
    clean = json.loads(out)
    assert clean["cells"][0]["source"] == (
        "# Parameters\n"
        f"    api_token = '{REDACTED}'\n"  # indentation kept
        'path = "C:\\\\data"\n'
        f"db = {{'password': '{REDACTED}'}}\n"
        "seed = 1\n")
    assert clean["cells"][1]["source"] == 'api_token = "s3"\n'  # not the injected cell
    assert clean["metadata"]["papermill"]["parameters"] == redact(PARAMS)
    assert out.decode() == json.dumps(clean, indent=1, ensure_ascii=False) + "\n"


def test_a_secret_value_with_backslashes_and_unicode_is_written_literally() -> None:
    params = {"password": "a\\1b", "label": "café"}
    notebook = {"cells": [_cell('password = "a\\\\1b"\nlabel = "café"\n')],
                "metadata": {"papermill": {"parameters": "not a dict"}}}
    out = redact_notebook(json.dumps(notebook).encode(), params)
    assert out is not None and "café".encode() in out  # not \u escaped
    clean = json.loads(out)
    assert clean["cells"][0]["source"] == f"password = '{REDACTED}'\nlabel = \"café\"\n"
    assert clean["metadata"]["papermill"]["parameters"] == "not a dict"


def test_nothing_secret_means_no_copy() -> None:
    assert not needs_redaction({"seed": 1, "path": "x"})
    assert needs_redaction({"token": "t"}) and needs_redaction({"cfg": {"api_key": "k"}})
    assert redact_notebook(b"not even json", {"seed": 1}) is None
    plain = {"cells": [{"cell_type": "markdown", "source": "hi"}], "metadata": {}}
    out = redact_notebook(json.dumps(plain).encode(), {"token": "t"})
    assert out is not None and json.loads(out) == plain


def test_redact_keeps_tuples_as_lists_and_names_as_strings() -> None:
    assert redact({1: ("a", {"secret": "s"})}) == {"1": ["a", {"secret": REDACTED}]}
    assert redact("value", "password") == REDACTED and redact("value", "") == "value"
    assert redact(["x"], "keys") == REDACTED


def test_recorded_environment_is_sorted_and_extra_names_are_trimmed() -> None:
    environ = {"B": "2", "A": "1", "NBOPS_RECORD_ENV": " A ,,B, "}
    recorded = whitelisted_env([], environ)
    assert list(recorded) == ["A", "B"] and recorded == {"A": "1", "B": "2"}
    assert whitelisted_env(["A", "A"], {"A": "1"}) == {"A": "1"}


def test_minimal_notebooks_and_cell_order_do_not_matter() -> None:
    params = {"db": {"password": "pw", "dir": "C:\\data"}, "seed": 1}
    other = {"cell_type": "code", "metadata": {}, "source": "x = 1\n"}
    no_source = {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}}
    injected = _cell('db = {"password": "pw", "dir": "C:\\\\data"}\n')
    out = redact_notebook(json.dumps({"cells": [other, no_source, injected]}).encode(), params)
    assert out is not None
    cells = json.loads(out)["cells"]
    assert cells[0] == other and cells[1]["source"] == ""
    assert cells[2]["source"] == f"db = {{'password': '{REDACTED}', 'dir': 'C:\\\\data'}}\n"
    assert "metadata" not in json.loads(out)
    empty = redact_notebook(b"{}", params)
    assert empty is not None and json.loads(empty) == {}


def test_outputs_lose_the_secret_in_text_errors_and_tables_but_keep_images() -> None:
    secret = "tok-5ecret-value"
    png = f"iVBOR{secret}"  # base64 that happens to contain it: an image is never rewritten
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": [f"using {secret}\n"]},
        {"output_type": "error", "ename": "E", "evalue": f"bad {secret}",
         "traceback": [f"line {secret}"]},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/plain": f"<{secret}>", "text/html": [f"<b>{secret}</b>"],
                  "image/svg+xml": f"<svg>{secret}</svg>", "image/png": png}},
        "not an output",
    ]
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": "show()",
                           "outputs": outputs}], "metadata": {}}
    clean = json.loads(redact_notebook(json.dumps(notebook).encode(), {"token": secret}) or b"")
    stream, error, display, other = clean["cells"][0]["outputs"]
    assert stream == {**outputs[0], "text": [f"using {REDACTED}\n"]}
    assert (error["evalue"], error["traceback"]) == (f"bad {REDACTED}", [f"line {REDACTED}"])
    assert display["data"] == {"text/plain": f"<{REDACTED}>", "text/html": [f"<b>{REDACTED}</b>"],
                               "image/svg+xml": f"<svg>{REDACTED}</svg>", "image/png": png}
    assert display["metadata"] == {} and other == "not an output"
