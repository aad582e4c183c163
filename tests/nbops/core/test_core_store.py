"""The content-addressed store."""

from __future__ import annotations

import os
import stat

import pytest

from nbops.core._errors import IntegrityError
from nbops.core._hashing import hash_bytes
from nbops.core._store import ContentStore


@pytest.fixture
def store(tmp_path) -> ContentStore:
    return ContentStore(tmp_path / "store")


def test_put_dedupes_and_objects_are_read_only_copies(store, tmp_path) -> None:
    product = tmp_path / "model.bin"
    product.write_bytes(b"weights" * 1000)
    first = store.put_file(product)
    second = store.put_file(product)
    assert first.added and not second.added
    assert first.digest == second.digest == hash_bytes(b"weights" * 1000)
    stored = store.path_for(first.digest)
    assert stored.parent.parent == store.objects
    assert stat.S_IMODE(stored.stat().st_mode) == 0o444
    assert stored.stat().st_ino != product.stat().st_ino  # never a hard link to a product
    assert list(store.iter_digests()) == [first.digest]


def test_rewriting_the_product_in_place_cannot_change_the_stored_object(store, tmp_path) -> None:
    product = tmp_path / "nb.ipynb"
    product.write_bytes(b"version one")
    digest = store.put_file(product).digest
    with open(product, "r+b") as handle:  # what Papermill does to its output
        handle.write(b"VERSION TWO")
    store.verify(digest)
    assert store.read_bytes(digest) == b"version one"


def test_tampered_truncated_or_missing_objects_are_detected(store, tmp_path) -> None:
    digest = store.put_bytes(b"payload" * 100).digest
    target = store.path_for(digest)
    os.chmod(target, 0o644)
    target.write_bytes(b"payload")  # truncated
    with pytest.raises(IntegrityError, match="corrupt"):
        store.verify(digest)
    with pytest.raises(IntegrityError, match="corrupt"):
        store.read_bytes(digest)
    target.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        store.verify(digest)


def test_materialize_links_for_run_folders_and_copies_for_products(store, tmp_path) -> None:
    digest = store.put_bytes(b"content").digest
    linked = tmp_path / "run" / "nb.ipynb"
    store.materialize(digest, linked)
    assert linked.stat().st_ino == store.path_for(digest).stat().st_ino
    copied = tmp_path / "products" / "nb.ipynb"
    store.materialize(digest, copied, link=False)
    assert copied.stat().st_ino != store.path_for(digest).stat().st_ino
    copied.write_bytes(b"rewritten")  # writable, and the store is untouched
    store.verify(digest)


def test_bad_digest_is_rejected(store) -> None:
    with pytest.raises(Exception, match="not an nbops content hash"):
        store.path_for("sha256:abc")


def test_a_wrong_digest_for_a_small_file_is_caught_before_install(store, tmp_path) -> None:
    product = tmp_path / "p.txt"
    product.write_text("real content")
    with pytest.raises(Exception, match="changed while nbops was snapshotting"):
        store.put_file(product, hash_bytes(b"other content"))
    assert list(store.iter_digests()) == []


def test_the_store_layout_and_verified_installs(store, tmp_path) -> None:
    """objects/ab/cdef… and tmp/ under the store root: temp files live beside the objects
    (one filesystem, so installing is one rename) and a download is installed as is."""
    from nbops.core._errors import LedgerError
    from nbops.core._hashing import hash_bytes

    source = tmp_path / "a.bin"
    source.write_bytes(b"layout")
    digest = store.put_file(source).digest
    hexpart = digest.split(":", 1)[1]
    assert store.path_for(digest) == store.root / "objects" / hexpart[:2] / hexpart[2:]
    assert store.path_for(digest).is_file()
    tmp = store.new_tempfile()
    assert tmp.parent == store.root / "tmp" and tmp.name.startswith("in-")
    tmp.write_bytes(b"downloaded")
    new = hash_bytes(b"downloaded")
    assert store.install_verified(tmp, new) is True and not tmp.exists()
    assert store.read_bytes(new) == b"downloaded"
    again = store.new_tempfile()
    again.write_bytes(b"downloaded")
    assert store.install_verified(again, new) is False and not again.exists()
    stray = tmp_path / "elsewhere.bin"
    stray.write_bytes(b"x")
    with pytest.raises(LedgerError) as info:
        store.install_verified(stray, hash_bytes(b"x"))
    assert info.value.problem == f"{stray} is not a temp file of {store.root}"
    store.materialize(digest, tmp_path / "deep" / "er" / "copy.bin", link=False)
    assert (tmp_path / "deep" / "er" / "copy.bin").read_bytes() == b"layout"
