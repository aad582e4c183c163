"""The remote URL's refusals and the remote settings file, as the whole sentences a user
reads (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core import ConfigError, Project, RemoteError
from nbops.remote._backends import BACKENDS
from nbops.remote._config import (
    auto_push_enabled,
    check_url,
    conditional_writes_refusal,
    configured_url,
    redact_url,
    remote_file,
    require_url,
    set_remote,
)

SCHEMES = [scheme for backend in BACKENDS for scheme in backend.schemes]
#: the schemes whose shared index and registry updates have a real-server test
TESTED_CONDITIONAL_WRITES = {"s3", "az", "abfs", "file"}

CREDENTIALS_FIX = ("remove them from the URL and set them the store's usual way "
                   "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE for s3://); nbops "
                   "never records credentials")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.delenv("NBOPS_REMOTE", raising=False)
    monkeypatch.delenv("NBOPS_AUTO_PUSH", raising=False)
    (tmp_path / "pipeline.yaml").write_text("tasks: []\n")
    return Project(tmp_path)


def _refusal(url: str) -> tuple[str, str | None]:
    with pytest.raises(ConfigError) as refused:
        check_url(url)
    return refused.value.problem, refused.value.fix


@pytest.mark.parametrize("url, problem, fix", [
    ("  ", "The remote URL is empty",
     "give a URL such as s3://bucket/prefix or file:///mnt/team/nbops"),
    ("ftp://host/x", "The remote URL 'ftp://host/x' has the unknown scheme 'ftp://'",
     "use s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
     "file:///absolute/folder"),
    ("FTP://u:p@host/x", "The remote URL 'FTP://***@host/x' has the unknown scheme 'ftp://'",
     "use s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
     "file:///absolute/folder"),
    ("bucket/team", "The remote URL 'bucket/team' has no scheme",
     "use s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or "
     "file:///absolute/folder"),
    ("s3://AKIA@bucket/t", "The remote URL 's3://***@bucket/t' carries credentials",
     CREDENTIALS_FIX),
    ("s3://:secret@bucket/t", "The remote URL 's3://***@bucket/t' carries credentials",
     CREDENTIALS_FIX),
    ("file://host/mnt/t", "The remote URL 'file://host/mnt/t' is not an absolute file:// URL",
     "write file:///absolute/path/to/folder (three slashes)"),
    ("file:mnt/t", "The remote URL 'file:mnt/t' is not an absolute file:// URL",
     "write file:///absolute/path/to/folder (three slashes)"),
    ("gs:///p", "The remote URL 'gs:///p' names no bucket", "write gs://BUCKET/optional/prefix"),
    ("Az:///p", "The remote URL 'Az:///p' names no bucket", "write az://BUCKET/optional/prefix"),
])
def test_each_bad_url_is_one_whole_sentence(url: str, problem: str, fix: str) -> None:
    assert _refusal(url) == (problem, fix)


def test_every_known_scheme_is_accepted_and_only_tested_ones_are_updated() -> None:
    assert sorted(SCHEMES) == ["abfs", "az", "file", "gcs", "gs", "s3"]
    for scheme in SCHEMES:
        url = "file:///mnt/t" if scheme == "file" else f"{scheme}://b/p"
        assert check_url(url) == url
        assert (conditional_writes_refusal(url) is None) is (scheme in TESTED_CONDITIONAL_WRITES)
    assert check_url("file://localhost/mnt/t/") == "file://localhost/mnt/t"
    refusal = conditional_writes_refusal("GCS://b/p")
    assert isinstance(refusal, RemoteError)
    assert refusal.problem == (
        "The shared run index and registry on GCS://b/p cannot be updated safely: nbops has no "
        "tested conditional writes for gcs:// (GCS generation preconditions need a server that "
        "honours them to be tested against, and none is available), so two machines could "
        "overwrite each other's updates")
    assert refusal.fix == ("use an s3:// remote (any S3-compatible store), an az:// remote or "
                           "a file:// mounted folder as the team remote")
    assert conditional_writes_refusal("S3://b/p") is None


def test_credentials_are_hidden_in_every_url_shown() -> None:
    assert redact_url("s3://key:secret@bucket/p") == "s3://***@bucket/p"
    assert redact_url("S3+X://token@bucket/p@x") == "S3+X://***@bucket/p@x"
    assert redact_url("s3://bucket/p@x") == "s3://bucket/p@x"  # an @ in the path is not a user
    assert redact_url("s3://bucket/p") == "s3://bucket/p"


def test_the_settings_file_is_committed_and_says_where_credentials_come_from(
    project: Project,
) -> None:
    assert remote_file(project) == project.root / ".nbops" / "remote.yaml"
    set_remote(project, "s3://b/p/")
    assert remote_file(project).read_text() == (
        "# The team remote for `nbops push` / `nbops pull` (nbops' guide: A team remote).\n"
        "# Credentials and endpoints come from the environment, never from this file.\n"
        "url: s3://b/p\nauto_push: false\n")


def test_a_project_without_a_remote_is_told_both_ways_to_set_one(project: Project) -> None:
    with pytest.raises(ConfigError) as refused:
        require_url(project)
    assert (refused.value.problem, refused.value.fix) == (
        "This project has no remote",
        "run `nbops remote set s3://BUCKET/PREFIX` (it writes .nbops/remote.yaml; commit it) "
        "or set NBOPS_REMOTE")


def test_a_settings_file_without_a_url_or_with_a_bad_auto_push_says_how_to_fix_it(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = remote_file(project)
    path.parent.mkdir(parents=True)
    path.write_text("url: 7\nauto_push: 1\n")
    with pytest.raises(ConfigError) as no_url:
        configured_url(project)
    assert (no_url.value.problem, no_url.value.fix) == (
        f"{path} has no 'url: ...' line", "run `nbops remote set URL` to rewrite it")
    with pytest.raises(ConfigError) as bad:
        auto_push_enabled(project)
    assert (bad.value.problem, bad.value.fix) == (
        f"{path}: auto_push must be true or false, not 1",
        "write auto_push: true or auto_push: false")
    path.write_text("url: s3://b/p\n")
    assert auto_push_enabled(project) is False
    monkeypatch.setenv("NBOPS_REMOTE", "   ")  # blank: the file decides
    assert configured_url(project) == "s3://b/p"
    monkeypatch.setenv("NBOPS_AUTO_PUSH", "  ON ")
    assert auto_push_enabled(project) is True
    monkeypatch.setenv("NBOPS_AUTO_PUSH", "   ")  # blank: the file decides
    assert auto_push_enabled(project) is False


def test_a_settings_file_that_is_not_a_mapping_says_what_it_should_hold(
    project: Project,
) -> None:
    path = remote_file(project)
    path.parent.mkdir(parents=True)
    path.write_text("- s3://b/p\n")
    for read in (configured_url, auto_push_enabled):
        with pytest.raises(ConfigError) as refused:
            read(project)
        assert (refused.value.problem, refused.value.fix) == (
            f"{path} holds a list, not a mapping of keys to values",
            "write remote settings as 'key: value' lines (nested keys indented)")


def test_only_trailing_slashes_are_dropped() -> None:
    assert check_url("s3://BOX/X/") == "s3://BOX/X"
    assert check_url("file:///mnt/X//") == "file:///mnt/X"
