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
