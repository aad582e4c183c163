"""The builds and nbops commands of the remote test modules, forked from one warm zygote.

``test_remote_faults.py`` and ``test_remote_refusals.py`` import :func:`commands` (an
autouse module fixture: Ploomber and s3fs imported once per module instead of once per
command; see forked_commands.py), :func:`nbops` and :func:`build`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from forked_commands import ForkedCommands, forked_commands
from ledger_helpers import BIN, env

COMMANDS: list[ForkedCommands] = []  # the running module's command zygote
WARM = ("s3fs", "nbops.remote._backends", "nbops.sync._push", "nbops.sync._pull")


@pytest.fixture(scope="module", autouse=True)
def commands() -> Iterator[ForkedCommands]:
    """The module's builds and nbops commands, forked from one warm zygote."""
    with forked_commands(env(), WARM) as runner:
        COMMANDS.append(runner)
        yield runner
        COMMANDS.remove(runner)


def nbops(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return COMMANDS[-1].run([BIN / "nbops", *args], root, env(**extra), timeout=180)


def build(root: Path, *args: str) -> None:
    done = COMMANDS[-1].run([BIN / "ploomber", "build", *args], root, env(), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + "\n" + done.stderr[-3000:]
