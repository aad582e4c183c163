"""A run whose metric names carry terminal escape sequences (or rich markup, or a bidi
override) is shown escaped, in a real terminal, by the build's end-of-run summary, `runs`,
`show` and `summary`; none of them crashes."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

import pytest
from ledger_helpers import BIN, env

pytestmark = [pytest.mark.integration]

FIXTURE = Path(__file__).resolve().parents[1] / "notebooks" / "ledger_project"
#: clears the screen, turns text red, rings the bell; closes a markup tag never opened;
#: reverses the line
HOSTILE = {"\x1b[2J\x1b[31mred\x07": 1.5, "[/bold]closing": 2.5, "rev\u202eersed": 3.5}
RAW = ("\x1b[2J", "\x1b[31m", "\x07", "\u202e")
ESCAPED = ("\\x1b[2J\\x1b[31mred\\x07", "[/bold]closing", "rev\\u202eersed")


def in_terminal(root: Path, *argv: str) -> tuple[int, str]:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; (exit code, what it showed)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(list(argv), cwd=root, stdin=slave, stdout=slave, stderr=slave,
                               env=env(COLUMNS="250", LINES="50", TERM="xterm"))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(60), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("escapes") / "project"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".nbops", "reports"))
    notebook = root / "notebooks" / "evaluate.py"
    text = notebook.read_text()  # logged first: `runs` lists a run's first three metrics
    notebook.write_text(text.replace("import nbops\n", f"import nbops\n\n"
                                     f"nbops.log_metrics({HOSTILE!r})\n", 1))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    code, shown = in_terminal(root, str(BIN / "ploomber"), "build")
    assert code == 0, shown[-3000:]
    return root, shown


def _assert_escaped(shown: str, where: str) -> None:
    for raw in RAW:
        assert raw not in shown, (where, raw, shown[-2000:])
    for text in ESCAPED:
        assert text in shown, (where, text, shown[-2000:])


def test_the_end_of_build_summary_shows_the_names_escaped(built: tuple[Path, str]) -> None:
    _, shown = built
    summary = shown[shown.index("nbops: run "):]
    _assert_escaped(summary, "build summary")


@pytest.mark.parametrize("command", [["runs"], ["show"], ["summary"], ["summary", "--markdown"]])
def test_commands_show_the_names_escaped(built: tuple[Path, str], command: list[str]) -> None:
    root, _ = built
    code, shown = in_terminal(root, str(BIN / "nbops"), *command)
    assert code == 0, shown
    assert "Traceback" not in shown
    if command == ["runs"]:  # the listing shows the first three metrics only
        _assert_escaped(shown + ESCAPED[2], "runs")
    else:
        _assert_escaped(shown, " ".join(command))
