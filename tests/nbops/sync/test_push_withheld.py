"""Which secrets a push looks for in what it would upload (nbops.sync._withheld)."""

from __future__ import annotations

import json
from pathlib import Path

from nbops.core import ContentStore
from nbops.sync._withheld import holds_secret, run_secrets

DIFF = b"""diff --git a/env.yaml b/env.yaml
--- a/env.yaml
+++ b/env.yaml
@@ -1,3 +1,6 @@
 n_rows: 20
-api_token: old-token-value-1
+api_token: "quoted-token-value-2"
+db_url: postgresql://analyst:url-pass-3@db/prod
+warehouse_password: 'single-quoted-4'
+plain_setting: not-a-secret-5
"""


def _manifest(store: ContentStore, notebook: dict, metadata: dict) -> dict:
    nb = store.put_bytes(json.dumps(notebook).encode()).digest
    meta = store.put_bytes(json.dumps(metadata).encode()).digest
    diff = store.put_bytes(DIFF).digest
    return {"tasks": {"t": {"products": {"nb": {"path": ".nbops/products/t.ipynb", "hash": nb,
                                                "metadata_hash": meta}}}},
            "provenance": {"git": {"diff_hash": diff, "diff_stored": True}}}


def test_secrets_come_from_parameters_metadata_and_the_diff(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "store")
    manifest = _manifest(
        store, {"metadata": {"papermill": {"parameters": {"db_token": "nb-token-6",
                                                          "n": 3}}}, "cells": []},
        {"params": {"mirror": "https://bob:meta-pass-7@mirror/x", "rows": 10}})
    found = run_secrets(manifest, store)
    for expected in ("nb-token-6", "meta-pass-7", "old-token-value-1", "quoted-token-value-2",
                     "url-pass-3", "single-quoted-4"):
        assert expected in found, expected
    assert not {"not-a-secret-5", "3", "10"} & found
    text = tmp_path / "page.html"
    text.write_text('<pre>{"token": "nb-token-6"}</pre>')
    assert holds_secret(text, found)
    text.write_text("<pre>nothing here</pre>")
    assert not holds_secret(text, found)
