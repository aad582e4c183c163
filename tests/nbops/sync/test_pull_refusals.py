"""What ``nbops pull`` says and does for each way a run on the remote can be wrong, and which
runs it chooses (a file:// remote, synthetic runs; no server, no build)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_push_pull_local import _manifest, _project

from nbops.app import pull_and_refresh
from nbops.core import ContentStore, IntegrityError, LedgerError, Project, hash_bytes, new_run_id
from nbops.runs._persist import save_manifest
from nbops.sync import pull_runs, push_runs
from nbops.sync._pull import repair_fix


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Project, str, list[str]]:
    """Three runs pushed from one machine; a clone with nothing yet."""
    here = _project(tmp_path / "here")
    runs = []
    for _ in range(3):
        manifest = _manifest(here, new_run_id())
        save_manifest(here, manifest)
        (here.run_dir(manifest["run_id"]) / "pages").mkdir()
        (here.run_dir(manifest["run_id"]) / "pages" / "index.html").write_text("<h1>run</h1>")
        runs.append(manifest["run_id"])
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path / 'bucket'}"
    assert sorted(push_runs(here, all_runs=True, url=url).pushed) == sorted(runs)
    return _project(tmp_path / "there"), url, sorted(runs)


def _bucket(url: str) -> Path:
    return Path(url.removeprefix("file://"))


def _rewrite(url: str, run_id: str, name: str, data: bytes, field: str | None) -> None:
    """Replace ``runs/<id>/<name>`` and, if ``field``, the index's hash of it as well (a
    bucket writer without the team key, who deletes the run's signature: the checks after
    the signature's are what a run nobody signed meets)."""
    (_bucket(url) / "runs" / run_id / name).write_bytes(data)
    if field:
        (_bucket(url) / "runs" / run_id / "signature.json").unlink(missing_ok=True)
        index = _bucket(url) / "runs" / "index.json"
        doc = json.loads(index.read_text())
        doc["runs"][run_id][field] = hash_bytes(data)
        index.write_text(json.dumps(doc))


def test_the_latest_run_is_pulled_by_default_then_reported_as_already_here(pushed) -> None:
    there, url, runs = pushed
    first = pull_runs(there, url=url)
    assert first.pulled == [runs[-1]] and first.objects_downloaded == 2
    assert first.bytes_downloaded == len(f"rows of {runs[-1]}") + len("<h1>run</h1>")
    assert (there.run_dir(runs[-1]) / "pages" / "index.html").read_text() == "<h1>run</h1>"
    assert json.loads(there.manifest_path(runs[-1]).read_text())["run_id"] == runs[-1]
    again = pull_runs(there, ["latest", runs[-1]], url=url)
    assert again.pulled == [] and again.already_here == [runs[-1]]
    assert again.to_dict() == {
        "remote": again.remote, "runs_pulled": [], "runs_already_here": [runs[-1]],
        "runs_skipped": {}, "runs_refused": {}, "objects_downloaded": 0,
        "bytes_downloaded": 0, "runs_unverified": {}, "runs_verified_now": []}
    pulled, site_problem = pull_and_refresh(there, all_runs=True, url=url)
    assert pulled.pulled == runs[:2] and site_problem is None
    site = (there.reports_dir / "index.html").read_text()  # the pulled runs are on the site
    assert all(run in site for run in runs)


def test_runs_are_chosen_by_unique_prefix_and_a_bad_prefix_is_one_sentence(pushed) -> None:
    there, url, runs = pushed
    assert pull_runs(there, [runs[0], runs[0]], url=url).pulled == [runs[0]]
    label = pull_runs(there, url=url).remote
    with pytest.raises(LedgerError) as none:
        pull_runs(there, ["zz"], url=url)
    assert (none.value.problem, none.value.fix) == (
        f"No run(s) on remote {label} match 'zz'", "list them with `nbops runs --remote`")
    common = runs[0][:1] if all(r[:1] == runs[0][:1] for r in runs) else ""
    with pytest.raises(LedgerError) as several:
        pull_runs(there, [common], url=url)
    assert several.value.problem == f"3 run(s) on remote {label} match {common!r}"


def test_an_empty_remote_pulls_nothing_and_latest_says_there_are_no_runs(tmp_path: Path) -> None:
    there = _project(tmp_path / "there")
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path / 'bucket'}"
    assert pull_runs(there, url=url).pulled == []
    assert pull_runs(there, all_runs=True, url=url).pulled == []
    with pytest.raises(LedgerError) as refused:
        pull_runs(there, ["latest"], url=url)
    assert refused.value.fix == "push some runs first"
    assert refused.value.problem.endswith("has no runs")


def test_an_index_entry_that_is_not_a_run_id_is_skipped_and_the_rest_pulled(pushed) -> None:
    there, url, runs = pushed
    index = _bucket(url) / "runs" / "index.json"
    doc = json.loads(index.read_text())
    doc["runs"]["../../etc" + "x" * 100] = doc["runs"][runs[0]]
    index.write_text(json.dumps(doc))
    result = pull_runs(there, all_runs=True, url=url)
    assert result.pulled == runs
    assert result.skipped == {"../../etc" + "x" * 100: (
        f"{('../../etc' + 'x' * 100)[:80]!r} in runs/index.json is not a run id (an entry "
        "nbops did not write); skipped")}


@pytest.mark.parametrize("damage, problem", [
    ("manifest missing", "runs/{run}/manifest.json is missing from remote {label}"),
    ("contents missing", "runs/{run}/contents.json is missing from remote {label}"),
    ("manifest altered", "runs/{run}/manifest.json on remote {label} is altered (it does not "
                         "match the hash in runs/index.json)"),
    ("contents altered", "runs/{run}/contents.json on remote {label} is altered (it does not "
                         "match the hash in runs/index.json)"),
    ("manifest unreadable", "Run {run} on remote {label} has an unreadable manifest, contents "
                            "list or seal"),
    ("seal unreadable", "Run {run} on remote {label} has an unreadable manifest, contents "
                        "list or seal"),
    ("manifest of another run", "Run {run} on remote {label} has an invalid manifest (wrong "
                                "run id)"),
    ("manifest invalid", "Run {run} on remote {label} has an invalid manifest ("),
    ("seal missing", "runs/{run}/seal.json on remote {label} is missing or does not match "
                     "the manifest"),
    ("seal invalid", "runs/{run}/seal.json on remote {label} is missing or does not match "
                     "the manifest"),
    ("withheld not a mapping", "Run {run} on remote {label} has an invalid contents list "
                               "(withheld is not a mapping)"),
])
def test_each_damage_refuses_that_run_alone_with_the_repair_fix(
    pushed, damage: str, problem: str,
) -> None:
    there, url, runs = pushed
    run = runs[1]
    folder = _bucket(url) / "runs" / run
    manifest = json.loads((folder / "manifest.json").read_text())
    if damage == "manifest missing":
        (folder / "manifest.json").unlink()
    elif damage == "contents missing":
        (folder / "contents.json").unlink()
    elif damage == "manifest altered":
        _rewrite(url, run, "manifest.json", b"{}", None)
    elif damage == "contents altered":
        _rewrite(url, run, "contents.json", b"{}", None)
    elif damage == "manifest unreadable":
        _rewrite(url, run, "manifest.json", b"{not json", "manifest_hash")
    elif damage == "seal unreadable":
        _rewrite(url, run, "seal.json", b"{not json", None)
    elif damage == "manifest of another run":
        other = (_bucket(url) / "runs" / runs[0] / "manifest.json").read_bytes()
        _rewrite(url, run, "manifest.json", other, "manifest_hash")
    elif damage == "manifest invalid":
        manifest["status"] = "exploded"
        _rewrite(url, run, "manifest.json", json.dumps(manifest).encode(), "manifest_hash")
    elif damage == "seal missing":
        (folder / "seal.json").unlink()
    elif damage == "seal invalid":
        _rewrite(url, run, "seal.json", b'{"schema_version": 1}', None)
    else:
        contents = json.loads((folder / "contents.json").read_text())
        contents["withheld"] = ["a list"]
        _rewrite(url, run, "contents.json", json.dumps(contents).encode(), "contents_hash")
    result = pull_runs(there, all_runs=True, url=url)
    assert result.pulled == [runs[0], runs[2]] and list(result.refused) == [run]
    refused = result.refused[run]
    assert isinstance(refused, IntegrityError)
    assert refused.problem.startswith(problem.format(run=run, label=result.remote))
    if damage == "manifest invalid":  # the schema's first complaint, named
        assert "exploded" in refused.problem and "wrong run id" not in refused.problem
    assert refused.fix == repair_fix(run)
    assert result.to_dict()["runs_refused"] == {run: str(refused)}
    assert not there.run_dir(run).exists()
    assert not [p for p in there.runs_dir.iterdir() if p.name.startswith(".pull-")]


def test_the_repair_fix_is_a_command_that_uploads_the_run_whatever_the_remote_holds() -> None:
    assert repair_fix("r1") == ("run `nbops push r1 --repair` on a machine that has the run "
                                "(it uploads the run again whatever the remote holds), then "
                                "pull again")


def test_a_forged_file_entry_is_refused_naming_it(pushed, tmp_path: Path) -> None:
    there, url, runs = pushed
    contents = json.loads((_bucket(url) / "runs" / runs[0] / "contents.json").read_text())
    contents["files"]["../escape.html"] = contents["files"]["pages/index.html"]
    _rewrite(url, runs[0], "contents.json", json.dumps(contents).encode(), "contents_hash")
    result = pull_runs(there, [runs[0]], url=url)
    assert result.refused[runs[0]].problem == (
        f"Run {runs[0]} on remote {result.remote} lists a file outside its folder "
        "('../escape.html')")
    assert not (there.runs_dir / "escape.html").exists()


def test_a_stray_folder_of_the_same_id_is_moved_aside_and_the_run_pulled(pushed) -> None:
    there, url, runs = pushed
    stray = there.run_dir(runs[0])
    stray.mkdir(parents=True)
    (stray / "half-written.txt").write_text("left by a killed command")
    assert pull_runs(there, [runs[0]], url=url).pulled == [runs[0]]
    aside = list((there.state_dir / "stray").iterdir())
    assert len(aside) == 1 and aside[0].name.startswith(f"{runs[0]}-")
    assert (aside[0] / "half-written.txt").read_text() == "left by a killed command"
    assert there.manifest_path(runs[0]).is_file()
    second = there.run_dir(runs[1])  # a second stray joins the first in .nbops/stray/
    second.mkdir(parents=True)
    assert pull_runs(there, [runs[1]], url=url).pulled == [runs[1]]
    assert len(list((there.state_dir / "stray").iterdir())) == 2


def test_withheld_objects_are_not_fetched_and_the_run_says_what_was_kept_back(
    pushed, monkeypatch: Any,
) -> None:
    there, url, runs = pushed
    folder = _bucket(url) / "runs" / runs[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    digest = manifest["tasks"]["a"]["products"]["data"]["hash"]
    contents = json.loads((folder / "contents.json").read_text())
    contents["withheld"] = {digest: {"what": "product a.data", "why": "holds a secret"}}
    _rewrite(url, runs[0], "contents.json", json.dumps(contents).encode(), "contents_hash")
    hexdigest = digest.split(":", 1)[1]
    (_bucket(url) / "objects" / hexdigest[:2] / hexdigest[2:]).unlink()
    result = pull_runs(there, [runs[0]], url=url)
    assert result.pulled == [runs[0]] and result.objects_downloaded == 1
    assert json.loads((there.run_dir(runs[0]) / "withheld.json").read_text()) == {
        digest: {"what": "product a.data", "why": "holds a secret"}}
    assert not (there.run_dir(runs[1]) / "withheld.json").exists()


def test_run_files_the_store_holds_are_linked_and_nested_folders_made(tmp_path: Path) -> None:
    here = _project(tmp_path / "here")
    manifest = _manifest(here, new_run_id())
    run = manifest["run_id"]
    save_manifest(here, manifest)
    nested = here.run_dir(run) / "pages" / "tasks" / "a"
    nested.mkdir(parents=True)
    (nested / "data.csv").write_bytes(f"rows of {run}".encode())  # the product's own bytes
    (nested / "page.html").write_text("<p>a</p>")
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path / 'bucket'}"
    push_runs(here, [run], url=url)
    there = _project(tmp_path / "there")
    assert pull_runs(there, [run], url=url).pulled == [run]
    pulled = there.run_dir(run) / "pages" / "tasks" / "a"
    assert (pulled / "page.html").read_text() == "<p>a</p>"
    stored = ContentStore(there.store_dir).path_for(hash_bytes(f"rows of {run}".encode()))
    assert (pulled / "data.csv").stat().st_ino == stored.stat().st_ino  # one copy on disk


def test_a_run_file_in_a_new_nested_folder_is_pulled(tmp_path: Path) -> None:
    here = _project(tmp_path / "here")
    manifest = _manifest(here, new_run_id())
    run = manifest["run_id"]
    save_manifest(here, manifest)
    nested = here.run_dir(run) / "pages" / "tasks" / "b"  # no stored object makes it first
    nested.mkdir(parents=True)
    (nested / "page.html").write_text("<p>b</p>")
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path / 'bucket'}"
    push_runs(here, [run], url=url)
    there = _project(tmp_path / "there")
    result = pull_runs(there, [run], url=url)
    assert result.pulled == [run] and not result.refused
    assert (there.run_dir(run) / "pages" / "tasks" / "b" / "page.html").read_text() == "<p>b</p>"


def test_withheld_json_lists_what_was_kept_back_in_one_order(pushed) -> None:
    # its bytes do not depend on the order the contents list gives (a pulled run pushed
    # again lists its withheld.json by hash)
    there, url, runs = pushed
    folder = _bucket(url) / "runs" / runs[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    digest = manifest["tasks"]["a"]["products"]["data"]["hash"]
    other = hash_bytes(b"another secret-bearing object")
    first, second = sorted([digest, other])
    contents = json.loads((folder / "contents.json").read_text())
    contents["withheld"] = {second: {"why": "holds a secret", "what": "file b"},
                            first: {"why": "holds a secret", "what": "file a"}}
    _rewrite(url, runs[0], "contents.json", json.dumps(contents).encode(), "contents_hash")
    assert pull_runs(there, [runs[0]], url=url).pulled == [runs[0]]
    text = (there.run_dir(runs[0]) / "withheld.json").read_text()
    assert text.index(first) < text.index(second)
    assert text.index('"what"') < text.index('"why"')
    assert json.loads(text) == contents["withheld"]
    assert text == json.dumps(contents["withheld"], indent=1, sort_keys=True)  # as ever written


def test_a_run_folder_that_appears_while_pulling_stops_the_pull(
    pushed, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nbops.sync._pull as pull_module

    there, url, runs = pushed
    real_write = pull_module.write_pulled

    def racing_write(folder: Path, record: Any) -> None:
        real_write(folder, record)  # meanwhile another command installs the run
        there.run_dir(runs[0]).mkdir(parents=True)
        there.manifest_path(runs[0]).write_text("{}")

    monkeypatch.setattr(pull_module, "write_pulled", racing_write)
    with pytest.raises(LedgerError) as caught:
        pull_runs(there, [runs[0]], url=url)
    assert "appeared while pulling" in caught.value.problem
    assert caught.value.fix == "pull again"
    assert [p.name for p in there.runs_dir.iterdir()] == [runs[0]]  # no staging folder left
    assert there.manifest_path(runs[0]).read_text() == "{}"
