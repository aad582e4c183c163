"""Edges of the store, the hash cache and the lock that the main core tests leave out."""

from __future__ import annotations

import pytest

from nbops.core.errors import LedgerError
from nbops.core.store import ContentStore


def test_a_malformed_digest_is_refused_before_any_path_is_built(tmp_path) -> None:
    store = ContentStore(tmp_path / "store")
    for bad in ("blake3:" + "0" * 63, "sha256:" + "0" * 64, "blake3:" + "G" * 64, ""):
        with pytest.raises(LedgerError):
            store.path_for(bad)
