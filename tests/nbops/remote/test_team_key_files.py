"""The team key on one machine: where it is kept, when it is too short to be one, and the
MAC and key id every clone computes the same way (no server)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from nbops.core import ConfigError
from nbops.remote import _team_key as team

URL = "s3://team-bucket/churn"


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NBOPS_REMOTE_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_keys_live_under_the_users_config_folder_one_file_per_remote(
    config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the file name is part of the on-disk layout: a key stored by one release is found
    # by the next (the first 20 hex digits of the SHA-256 of the normalised URL)
    assert team.key_file(URL) == config_home / "nbops/remote-keys/c0f3f4f8ad9e927f6f44.key"
    assert team.key_file(" s3://team-bucket/churn/ ") == team.key_file(URL)
    assert team.key_file("s3://team-bucket/other") != team.key_file(URL)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert team.keys_dir() == tmp_path / "home/.config/nbops/remote-keys"
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    assert team.keys_dir() == tmp_path / "home/.config/nbops/remote-keys"


def test_a_key_of_32_characters_is_accepted_and_31_refused_naming_where_it_was_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "  " + "k" * 32 + "\n")
    assert team.team_key(URL) == b"k" * 32
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "k" * 31 + "   ")
    with pytest.raises(ConfigError) as short:
        team.team_key(URL)
    assert short.value.problem == (
        "the team key in $NBOPS_REMOTE_KEY has 31 characters, fewer than 32")
    assert short.value.fix == "use the key `nbops remote key` prints on a machine that has it"


def test_the_environment_wins_over_the_key_file_and_no_key_at_all_is_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert team.team_key(URL) is None
    path, written = team.store_team_key(URL, "f" * 40)
    assert written and team.team_key(URL) == b"f" * 40
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "e" * 40)
    assert team.team_key(URL) == b"e" * 40
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "   ")  # blank: not set
    assert team.team_key(URL) == b"f" * 40
    path.write_text("short\n", encoding="utf-8")
    with pytest.raises(ConfigError) as short:
        team.team_key(URL)
    assert short.value.problem == f"the team key in {path} has 5 characters, fewer than 32"


def test_a_new_key_is_random_private_and_kept_until_another_is_given() -> None:
    path, written = team.store_team_key(URL)
    first = path.read_text(encoding="utf-8")
    assert written and first.endswith("\n") and len(first.strip()) == 43  # 256 random bits
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert team.store_team_key(URL) == (path, False)
    assert path.read_text(encoding="utf-8") == first
    other, _ = team.store_team_key("s3://team-bucket/other")
    assert other.read_text(encoding="utf-8") != first
    assert team.store_team_key(URL, "g" * 32) == (path, True)
    assert path.read_text(encoding="utf-8") == "g" * 32 + "\n"
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, other.name])
    with pytest.raises(ConfigError, match=r"^the team key in --key has 3 characters"):
        team.store_team_key(URL, "abc")
    assert path.read_text(encoding="utf-8") == "g" * 32 + "\n"


def test_the_fix_for_a_machine_without_the_key_names_both_ways_to_get_it() -> None:
    assert team.no_key_fix("s3://team-bucket/churn") == (
        "set NBOPS_REMOTE_KEY to the team key (`nbops remote key` prints it on a machine that "
        "has it), or run `nbops remote set s3://team-bucket/churn --key KEY`")


def test_the_mac_is_hmac_sha256_and_the_key_id_is_stable_across_machines() -> None:
    # RFC 4231, test case 2
    assert team.mac(b"Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    assert team.key_id(b"k" * 40) == "a07f66d0413cc7a0"
    good = team.mac(b"k" * 40, b"doc")
    assert team.mac_matches(b"k" * 40, b"doc", good)
    assert not team.mac_matches(b"k" * 40, b"doc!", good)
    assert not team.mac_matches(b"j" * 40, b"doc", good)
    assert not team.mac_matches(b"k" * 40, b"doc", good.encode())  # not a string: refused
    assert not team.mac_matches(b"k" * 40, b"doc", None)
