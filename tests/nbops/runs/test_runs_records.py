"""Collecting records and failures from output notebooks; redacting secret parameters."""

from __future__ import annotations

import json

from nbops.core._secrets import REDACTED
from nbops.runs._notebook_redaction import redact_notebook
from nbops.runs._records import RECORD_MIME, read_facts


def _record(payload: dict) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {RECORD_MIME: payload, "text/plain": "..."}}


def _notebook(cells: list, **metadata) -> dict:
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def test_metrics_artifacts_and_failing_cell(tmp_path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {"tags": ["papermill-error-cell-tag"]},
         "source": "banner"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": ""},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": "", "outputs": [
            _record({"kind": "metric", "name": "auc", "value": 0.91}),
            _record({"kind": "metric", "name": "bad", "value": "high"}),
            _record({"kind": "artifact", "path": "/p/model.skops", "hash": "blake3:" + "0" * 64,
                     "size": 10})]},
        {"cell_type": "markdown", "metadata": {"tags": ["papermill-error-cell-tag"]},
         "source": "banner"},
        {"cell_type": "code", "metadata": {}, "execution_count": 3, "source": "", "outputs": [
            {"output_type": "error", "ename": "ValueError", "evalue": "boom", "traceback": []}]},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(_notebook(cells, papermill={"duration": 2.5})))
    facts = read_facts(path)
    assert facts.metrics == {"auc": 0.91}
    assert facts.artifacts == [{"path": "/p/model.skops", "hash": "blake3:" + "0" * 64,
                                "size": 10}]
    assert facts.error == {"cell_index": 2, "execution_count": 3, "ename": "ValueError",
                           "evalue": "boom"}
    assert facts.duration_s == 2.5


def test_missing_or_broken_notebook_gives_empty_facts(tmp_path) -> None:
    assert read_facts(tmp_path / "absent.ipynb").metrics == {}
    (tmp_path / "bad.ipynb").write_text("{")
    assert read_facts(tmp_path / "bad.ipynb").error is None


def test_secret_parameters_are_redacted_from_the_shown_notebook() -> None:
    cell = {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
            "source": '# Parameters\napi_token = "s3cr3t"\ndb = {"password": "pw", "host": "h"}\n'
                      'seed = 1\n'}
    params = {"api_token": "s3cr3t", "db": {"password": "pw", "host": "h"}, "seed": 1}
    nb = _notebook([cell], papermill={"parameters": params})
    out = redact_notebook(json.dumps(nb).encode(), params)
    assert out is not None
    text = out.decode()
    assert "s3cr3t" not in text and '"pw"' not in text and "'pw'" not in text
    clean = json.loads(text)
    assert clean["metadata"]["papermill"]["parameters"]["api_token"] == REDACTED
    assert "seed = 1" in clean["cells"][0]["source"]
    assert redact_notebook(json.dumps(nb).encode(), {"seed": 1}) is None


def test_a_password_quoted_in_an_error_message_never_reaches_the_manifest(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": "",
                                           "execution_count": 1, "outputs": [
        {"output_type": "error", "ename": "OperationalError", "traceback": [],
         "evalue": "could not connect to postgresql://etl:Tr0ub4dor@db:5432/prod"}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert read_facts(path).error["evalue"] == \
        "could not connect to postgresql://etl:***redacted***@db:5432/prod"
