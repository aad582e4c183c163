"""Secret redaction and the project lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from nbops.core import _secrets as secrets
from nbops.core._errors import LockTimeout
from nbops.core._locks import ProjectLock, is_locked, read_holder
from nbops.core._secrets import REDACTED, is_secret_name, redact, whitelisted_env


@pytest.mark.parametrize("name", ["api_token", "PASSWORD", "db_password", "client_secret",
                                  "aws_access_key_id", "key", "private_key", "credentials",
                                  "GITHUB_TOKEN", "passphrase"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["seed", "n_rows", "target", "monkey", "keyboard", "data_path"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_is_deep_and_leaves_other_values() -> None:
    params = {"seed": 1, "db": {"host": "h", "password": "p"}, "tokens": ["a"],
              "items": [{"api_key": "k", "n": 2}]}
    assert redact(params) == {"seed": 1, "db": {"host": "h", "password": REDACTED},
                              "tokens": REDACTED, "items": [{"api_key": REDACTED, "n": 2}]}


def test_only_whitelisted_env_vars_are_recorded() -> None:
    environ = {"HOME": "/root", "MY_TOKEN": "t", "PYTHONHASHSEED": "0", "SECRET_KEY": "s"}
    assert whitelisted_env(["PYTHONHASHSEED", "SECRET_KEY", "ABSENT"], environ) == {
        "PYTHONHASHSEED": "0", "SECRET_KEY": REDACTED}
    environ["NBOPS_RECORD_ENV"] = "HOME, MY_TOKEN"
    assert whitelisted_env([], environ) == {"HOME": "/root", "MY_TOKEN": REDACTED}


def _holder(lock_path) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import sys, time
        from nbops.core._locks import ProjectLock
        lock = ProjectLock({str(lock_path)!r})
        lock.acquire(run_id="20260101T000000000000Z-abcdef")
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_holder_waits_then_gets_a_clear_message(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NBOPS_LOCK_TIMEOUT", "60")
    lock_path = tmp_path / ".nbops" / "lock"
    proc = _holder(lock_path)
    try:
        assert is_locked(lock_path)
        assert read_holder(lock_path)["pid"] == proc.pid
        started = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            ProjectLock(lock_path).acquire(timeout=0.5)
        assert time.monotonic() - started >= 0.5
        # the timeout given wins over the default (made long here): it gave up in time
        assert time.monotonic() - started < 20
        holder = read_holder(lock_path)
        assert set(holder) == {"schema_version", "pid", "host", "acquired_at", "run_id",
                               "purpose"}
        message = str(info.value)
        assert f"pid {proc.pid}" in message and "20260101T000000000000Z-abcdef" in message
        assert "NBOPS_LOCK_TIMEOUT" in message
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def test_kill_9_releases_the_lock(tmp_path) -> None:
    lock_path = tmp_path / "lock"
    proc = _holder(lock_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert not is_locked(lock_path)
    lock = ProjectLock(lock_path)
    lock.acquire(timeout=0)
    assert lock.held and is_locked(lock_path)
    assert lock_path.stat().st_mode & 0o777 == 0o644 & ~_umask()  # readable by the team
    lock.release()
    assert not is_locked(lock_path)


def test_lock_is_reentrant_within_a_process(tmp_path) -> None:
    lock_path = tmp_path / "lock"
    build = ProjectLock(lock_path)
    build.acquire(timeout=0, run_id="20260101T000000000000Z-aaaaaa")
    step = ProjectLock(lock_path, purpose="gc")  # e.g. a post-close step in the same build
    step.acquire(timeout=0)
    holder = read_holder(lock_path)  # still names the build, so its run stays live
    assert holder["run_id"] == "20260101T000000000000Z-aaaaaa" and holder["purpose"] == "build"
    step.release()
    assert is_locked(lock_path)
    build.release()
    assert not is_locked(lock_path)


def test_a_secret_typed_on_the_build_command_line_is_redacted() -> None:
    argv = ["ploomber", "build", "--env--db--password", "hunter2", "--env--api_token=abc",
            "--env--data--rows", "500"]
    assert secrets.redact_argv(argv) == [
        "ploomber", "build", "--env--db--password", secrets.REDACTED,
        f"--env--api_token={secrets.REDACTED}", "--env--data--rows", "500",
    ]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_AZURE_KEY = "Zm9yZ2VkLWF6dXJlLWFjY291bnQta2V5LWZvci10ZXN0cw=="
_AZURE_CONNECTION = ("DefaultEndpointsProtocol=https;AccountName=team;"
                     f"AccountKey={_AZURE_KEY};EndpointSuffix=core.windows.net")


def test_an_azure_connection_string_is_never_recorded() -> None:
    """The az:// remote's credential: named, recorded on request, or inside a SAS URL."""
    recorded = whitelisted_env(environ={"AZURE_STORAGE_CONNECTION_STRING": _AZURE_CONNECTION,
                                        "NBOPS_RECORD_ENV": "AZURE_STORAGE_CONNECTION_STRING,"
                                                            "AZURE_STORAGE_ACCOUNT_KEY",
                                        "AZURE_STORAGE_ACCOUNT_KEY": _AZURE_KEY})
    assert recorded == {"AZURE_STORAGE_CONNECTION_STRING": REDACTED,
                        "AZURE_STORAGE_ACCOUNT_KEY": REDACTED}
    masked = secrets.mask_credentials(f"conn={_AZURE_CONNECTION}")  # a value naming no secret
    assert _AZURE_KEY not in masked and "AccountName=team" in masked
    sas = "https://team.blob.core.windows.net/c/b?sv=2024-01-01&sig=c2lnbmF0dXJlLXZhbHVl"
    assert "c2lnbmF0dXJlLXZhbHVl" not in secrets.mask_credentials(sas)
    assert not is_secret_name("signal") and not is_secret_name("design")
