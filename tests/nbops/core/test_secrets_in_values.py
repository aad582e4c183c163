"""Credentials inside values are masked everywhere; redacted notebooks hide printed secrets."""

from __future__ import annotations

import json

import pytest

from nbops.core._secrets import (
    REDACTED,
    mask_credentials,
    redact,
    redact_argv,
    scrub,
    secret_replacements,
    whitelisted_env,
)
from nbops.runs._notebook_redaction import redact_notebook

R = REDACTED


@pytest.mark.parametrize("raw, masked", [
    ("postgresql://user:pass@host/db", f"postgresql://user:{R}@host/db"),
    ("mysql+pymysql://u:p%40ss@h:3306/d?x=1", f"mysql+pymysql://u:{R}@h:3306/d?x=1"),
    ("https://x.example/a?token=abc&page=2", f"https://x.example/a?token={R}&page=2"),
    ("host=db port=5432 password=s3cret user=u", f"host=db port=5432 password={R} user=u"),
    ("redis://:onlypass@cache:6379/0", f"redis://:{R}@cache:6379/0"),
    # left alone: no credential
    ("http://host:8080/path", "http://host:8080/path"),
    ("ssh://git@github.com/org/repo", "ssh://git@github.com/org/repo"),
    ("user@example.com", "user@example.com"),
    ("s3://bucket/key.parquet", "s3://bucket/key.parquet"),
    ("time: 12:30:00", "time: 12:30:00"),
    ("monkey=1 keyboard=2", "monkey=1 keyboard=2"),
])
def test_credentials_in_values_are_masked(raw: str, masked: str) -> None:
    assert mask_credentials(raw) == masked
    assert mask_credentials(masked) == masked  # idempotent


def test_redact_masks_values_at_any_depth_and_argv_too() -> None:
    env = {"db": {"url": "postgresql://a:b1b2@h/d"}, "urls": ["https://u:pw12@x/y"], "n": 3}
    assert redact(env) == {"db": {"url": f"postgresql://a:{R}@h/d"},
                           "urls": [f"https://u:{R}@x/y"], "n": 3}
    assert redact_argv(["ploomber", "build", "--env--db--url", "postgresql://a:b1b2@h/d",
                        "--env--x=https://u:pw12@x/y"]) == [
        "ploomber", "build", "--env--db--url", f"postgresql://a:{R}@h/d",
        f"--env--x=https://u:{R}@x/y"]
    environ = {"NBOPS_RECORD_ENV": "DATABASE_URL", "DATABASE_URL": "postgresql://a:b1b2@h/d"}
    assert whitelisted_env([], environ) == {"DATABASE_URL": f"postgresql://a:{R}@h/d"}


def test_secret_replacements_cover_named_values_urls_and_bare_passwords() -> None:
    found = secret_replacements({"api_key": 123456, "db_url": "postgresql://a:b1b2@h/d",
                                 "seed": 7})
    assert found == {"123456": R, "postgresql://a:b1b2@h/d": f"postgresql://a:{R}@h/d",
                     "b1b2": R}
    # longest first: the URL is masked whole; a short secret is not hunted in free text
    assert scrub(["go postgresql://a:b1b2@h/d", "pw b1b2", {"k": "ab"}],
                 {**found, "ab": R}) == [f"go postgresql://a:{R}@h/d", f"pw {R}", {"k": "ab"}]


def test_a_redacted_notebook_hides_what_the_notebook_printed() -> None:
    params = {"api_token": "tok-123456", "db_url": "postgresql://a:b1b2@h/d", "n": 5}
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
         "source": "api_token = 'tok-123456'\ndb_url = 'postgresql://a:b1b2@h/d'\nn = 5\n"},
        {"cell_type": "code", "metadata": {}, "source": "print(api_token, db_url)", "outputs": [
            {"output_type": "stream", "name": "stdout",
             "text": ["tok-123456 postgresql://a:b1b2@h/d\n"]},
            {"output_type": "execute_result", "execution_count": 2, "metadata": {},
             "data": {"text/plain": "'b1b2'", "text/html": "<b>tok-123456</b>",
                      "image/png": "iVBORtok-123456"}},
            {"output_type": "error", "ename": "E", "evalue": "no tok-123456",
             "traceback": ["E: cannot reach postgresql://a:b1b2@h/d"]}]}],
        "metadata": {"papermill": {"parameters": dict(params)}}, "nbformat": 4,
        "nbformat_minor": 5}
    clean = redact_notebook(json.dumps(notebook).encode(), params)
    assert clean is not None
    text = clean.decode()
    assert "tok-123456 " not in text and "b1b2" not in text and "<b>tok-123456" not in text
    assert "iVBORtok-123456" in text  # raster image bytes are never rewritten
    data = json.loads(text)
    assert data["metadata"]["papermill"]["parameters"]["db_url"] == f"postgresql://a:{R}@h/d"
    assert data["cells"][1]["outputs"][0]["text"] == [f"{R} postgresql://a:{R}@h/d\n"]
