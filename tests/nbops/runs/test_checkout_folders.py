"""nbops.runs._checkout with folder products: every file of the folder is verified before
the first write, restored inside the folder only, never through a link; and the checks
that run before the project lock still hold after it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nbops.core._errors import IntegrityError
from nbops.core._store import ContentStore
from nbops.runs import _checkout
from nbops.runs._checkout import _inside_folder, checkout_run
from nbops.runs._persist import save_manifest


def _with_folder(project, add_run, files: dict[str, bytes]) -> dict:
    """A run whose product ``data`` is a file and ``model`` a folder of ``files``."""
    store = ContentStore(project.store_dir)
    run = add_run(products={"data": b"rows " * 50})
    stored = {name: {"hash": store.put_bytes(data).digest, "size": len(data)}
              for name, data in files.items()}
    listing = json.dumps({"schema_version": 1, "files": stored}, sort_keys=True).encode()
    run["tasks"]["a"]["products"]["model"] = {
        "path": "out/model", "hash": store.put_bytes(listing).digest,
        "size": sum(len(d) for d in files.values()), "kind": "folder", "files": stored}
    save_manifest(project, run)
    return run


def test_a_folder_product_is_restored_file_by_file(project, add_run) -> None:
    run = _with_folder(project, add_run, {"weights.bin": b"w" * 40, "conf/params.json": b"{}"})
    result = checkout_run(project, run["run_id"])
    assert result.restored == ["out/data", "out/model"]
    model = project.absolute("out/model")
    assert (model / "weights.bin").read_bytes() == b"w" * 40
    assert (model / "conf" / "params.json").read_bytes() == b"{}"
    assert sorted(p.relative_to(model).as_posix() for p in model.rglob("*")) == [
        "conf", "conf/params.json", "weights.bin"]


def test_a_corrupt_file_of_a_folder_is_found_before_anything_is_written(project,
                                                                          add_run) -> None:
    run = _with_folder(project, add_run, {"weights.bin": b"w" * 40})
    store = ContentStore(project.store_dir)
    path = store.path_for(run["tasks"]["a"]["products"]["model"]["files"]["weights.bin"]["hash"])
    os.chmod(path, 0o644)
    path.write_bytes(b"bit rot")
    working = project.absolute("out/data")
    working.parent.mkdir(parents=True)
    working.write_bytes(b"my working copy")
    with pytest.raises(IntegrityError, match="corrupt"):
        checkout_run(project, run["run_id"])
    assert working.read_bytes() == b"my working copy"  # the first product was not written


def test_a_link_made_while_checkout_waited_for_the_lock_is_refused(project, add_run,
                                                                   monkeypatch,
                                                                   tmp_path_factory) -> None:
    run = add_run(products={"data": b"rows " * 50})
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    acquire = _checkout.ProjectLock.acquire

    def link_then_acquire(self, *args, **kwargs):
        project.absolute("out").symlink_to(elsewhere, target_is_directory=True)
        return acquire(self, *args, **kwargs)

    monkeypatch.setattr(_checkout.ProjectLock, "acquire", link_then_acquire)
    with pytest.raises(IntegrityError) as raised:
        checkout_run(project, run["run_id"])
    assert raised.value.problem == (f"Run {run['run_id']}'s product path 'out/data' goes "
                                    "through the symbolic link out; checkout never follows "
                                    "links")
    assert list(elsewhere.iterdir()) == []


def test_a_withheld_object_that_is_in_the_local_store_is_restored(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50})
    digest = run["tasks"]["a"]["products"]["data"]["hash"]
    (project.run_dir(run["run_id"]) / "withheld.json").write_text(
        json.dumps({digest: {"what": "task a product data (out/data)", "why": "a secret"}}))
    assert checkout_run(project, run["run_id"]).restored == ["out/data"]
    assert project.absolute("out/data").read_bytes() == b"rows " * 50


def test_a_folder_file_is_the_path_below_the_folder(tmp_path: Path) -> None:
    assert _inside_folder(tmp_path, "conf/params.json", "r") == tmp_path / "conf" / "params.json"
    assert _inside_folder(tmp_path, "weights.bin", "r") == tmp_path / "weights.bin"


@pytest.mark.parametrize("relative", ["../evil", "conf/../../evil", "/etc/passwd",
                                      "conf\\evil", "..\\evil", ""])
def test_a_folder_file_that_leaves_the_folder_is_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(IntegrityError) as raised:
        _inside_folder(tmp_path, relative, "r1")
    assert raised.value.problem == (f"Run r1 names the file {relative!r} in a folder product, "
                                    "which leaves the folder")


def test_a_folder_file_through_a_link_is_refused(tmp_path: Path, tmp_path_factory) -> None:
    (tmp_path / "conf").symlink_to(tmp_path_factory.mktemp("elsewhere"),
                                   target_is_directory=True)
    with pytest.raises(IntegrityError, match="goes through a symbolic link"):
        _inside_folder(tmp_path, "conf/params.json", "r1")


def test_a_folder_file_is_restored_as_a_private_writable_copy(project, add_run) -> None:
    run = _with_folder(project, add_run, {"weights.bin": b"w" * 40})
    checkout_run(project, run["run_id"])
    digest = run["tasks"]["a"]["products"]["model"]["files"]["weights.bin"]["hash"]
    restored = project.absolute("out/model") / "weights.bin"
    store = ContentStore(project.store_dir)
    assert restored.stat().st_ino != store.path_for(digest).stat().st_ino
    restored.write_bytes(b"retrained")
    store.verify(digest)


def test_a_withheld_object_missing_here_is_refused_with_what_to_do(project, add_run) -> None:
    run = add_run(products={"data": b"rows " * 50})
    digest = run["tasks"]["a"]["products"]["data"]["hash"]
    store = ContentStore(project.store_dir)
    os.chmod(store.path_for(digest), 0o644)
    store.path_for(digest).unlink()
    (project.run_dir(run["run_id"]) / "withheld.json").write_text(
        json.dumps({digest: {"what": "task a product data (out/data)", "why": "a secret"}}))
    with pytest.raises(IntegrityError) as raised:
        checkout_run(project, run["run_id"])
    assert raised.value.problem == (
        f"Run {run['run_id']}'s out/data (or its Ploomber metadata) held a secret, so the push "
        "that shared the run kept it back and it cannot be restored here")
    assert raised.value.fix == ("check the run out on the machine that made it, or build it "
                                "again here")


def test_a_run_without_products_says_which_run_to_pick(project, add_run) -> None:
    from nbops.core._errors import LedgerError

    run = add_run()
    with pytest.raises(LedgerError) as raised:
        checkout_run(project, run["run_id"])
    assert raised.value.fix == "pick a run whose tasks executed or were reused"
