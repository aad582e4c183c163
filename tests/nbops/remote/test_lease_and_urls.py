"""The remote's lease and its URL check, on a file:// remote (no server): the guards a bucket
writer or a careless teammate meets first."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nbops.core import ConfigError, Project
from nbops.remote import open_remote
from nbops.remote._config import check_url, set_remote
from nbops.remote._lease import RemoteLease


def test_a_machine_whose_lease_expired_cannot_release_the_new_holders(tmp_path: Path) -> None:
    remote = open_remote(f"file://{tmp_path / 'bucket'}")
    first = RemoteLease(remote, "lease.json", ttl_s=0.05)
    first.acquire()
    time.sleep(0.1)  # first's machine paused: its lease ran out
    second = RemoteLease(remote, "lease.json", ttl_s=600, wait_s=5)
    second.acquire()
    first.release()  # the paused machine wakes up and gives back "its" lease
    doc = json.loads(remote.read_versioned("lease.json")[0])
    assert doc["holder"] == second.token and doc["expires_at"] > time.time() + 500
    third = RemoteLease(remote, "lease.json", wait_s=0.3)
    with pytest.raises(Exception, match="held by"):
        third.acquire()
    second.release()
    assert json.loads(remote.read_versioned("lease.json")[0])["expires_at"] == 0.0


@pytest.mark.parametrize("url", [
    "s3://AKIAIOSFODNN7EXAMPLE@bucket/team",      # a token alone, as user name
    "s3://:wJalrXUtnFEMI@bucket/team",             # a secret alone, as password
    "gs://ya29.token@bucket/team",
    "az://key:secret@container/team",
    "file://token@localhost/tmp/team",
])
def test_a_url_carrying_any_credential_is_refused_and_not_written(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError, match="carries credentials") as refused:
        check_url(url)
    assert "AKIA" not in str(refused.value) and "wJalr" not in str(refused.value)
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    with pytest.raises(ConfigError, match="carries credentials"):
        set_remote(Project(tmp_path), url)
    assert not (tmp_path / ".nbops" / "remote.yaml").exists()


def _project(tmp_path: Path) -> Project:
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    return Project(tmp_path)


@pytest.mark.parametrize("url, normalised", [
    (" s3://bucket/team/ ", "s3://bucket/team"), ("S3://bucket", "S3://bucket"),
    ("file:///mnt/team/", "file:///mnt/team"), ("file://localhost/mnt/t", "file://localhost/mnt/t"),
    ("az://container/p", "az://container/p"), ("gs://b/p", "gs://b/p")])
def test_urls_are_normalised(url: str, normalised: str) -> None:
    assert check_url(url) == normalised


@pytest.mark.parametrize("url, words", [
    ("", "is empty"), ("   ", "is empty"), ("ftp://host/x", "unknown scheme 'ftp://'"),
    ("bucket/team", "no scheme"), ("file://relative/path", "not an absolute file:// URL"),
    ("file:relative", "not an absolute file:// URL"), ("s3:///team", "names no bucket")])
def test_bad_urls_are_one_sentence(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        check_url(url)


def test_the_environment_wins_and_a_project_without_a_remote_says_how_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbops.remote._config import configured_url, require_url

    project = _project(tmp_path)
    monkeypatch.delenv("NBOPS_REMOTE", raising=False)
    assert configured_url(project) is None
    with pytest.raises(ConfigError, match="no remote") as refused:
        require_url(project)
    assert "nbops remote set" in refused.value.fix and "NBOPS_REMOTE" in refused.value.fix
    set_remote(project, "s3://team/one/")
    assert configured_url(project) == require_url(project) == "s3://team/one"
    monkeypatch.setenv("NBOPS_REMOTE", " s3://other/two ")
    assert configured_url(project) == "s3://other/two"
    monkeypatch.setenv("NBOPS_REMOTE", "s3://key:secret@other/two")
    with pytest.raises(ConfigError, match="carries credentials"):
        configured_url(project)


def test_set_remote_writes_only_the_location_and_keeps_auto_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbops.remote._config import auto_push_enabled

    monkeypatch.delenv("NBOPS_AUTO_PUSH", raising=False)
    project = _project(tmp_path)
    assert not auto_push_enabled(project)
    assert set_remote(project, "s3://b/p", auto_push=True) == "s3://b/p"
    written = (tmp_path / ".nbops" / "remote.yaml").read_text()
    assert [line for line in written.splitlines() if not line.startswith("#")] == [
        "url: s3://b/p", "auto_push: true"]
    set_remote(project, "s3://b/q")  # auto_push kept
    assert auto_push_enabled(project)
    set_remote(project, "s3://b/q", auto_push=False)
    assert not auto_push_enabled(project)
    for value, enabled in (("1", True), ("TRUE", True), ("yes", True), ("on", True),
                           ("0", False), ("no", False), ("nonsense", False)):
        monkeypatch.setenv("NBOPS_AUTO_PUSH", value)
        assert auto_push_enabled(project) is enabled, value
    monkeypatch.delenv("NBOPS_AUTO_PUSH")
    (tmp_path / ".nbops" / "remote.yaml").write_text("url: s3://b/p\nauto_push: 'yes'\n")
    with pytest.raises(ConfigError, match="auto_push must be true or false"):
        auto_push_enabled(project)
    (tmp_path / ".nbops" / "remote.yaml").write_text("auto_push: true\n")
    from nbops.remote._config import configured_url

    with pytest.raises(ConfigError, match="has no 'url: ...' line"):
        configured_url(project)


def test_only_remotes_with_tested_conditional_writes_are_updated() -> None:
    from nbops.core import RemoteError
    from nbops.remote._config import check_conditional_writes, conditional_writes_refusal

    for url in ("s3://b/p", "az://c/p", "file:///mnt/t"):
        assert conditional_writes_refusal(url) is None
        check_conditional_writes(url)
    refusal = conditional_writes_refusal("gs://b/p")
    assert isinstance(refusal, RemoteError) and "gs://" in refusal.problem
    with pytest.raises(RemoteError, match="cannot be updated safely"):
        check_conditional_writes("gs://b/p")
