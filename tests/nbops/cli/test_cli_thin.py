"""The CLI parses and prints: its functions stay short; workflows live in nbops.app."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[3] / "src" / "nbops" / "cli"
#: Lines from ``def`` to the function's last line (docstring included, decorators not).
LONGEST = 40


def _long_functions(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST:
                    found.append(f"{path.name}:{node.name} ({length} lines)")
    return found


def test_no_cli_function_is_longer_than_40_lines() -> None:
    assert _long_functions(CLI) == [], "move the workflow into nbops.app"


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST))
    (tmp_path / "_long.py").write_text(f"def command() -> None:\n{body}\n")
    assert _long_functions(tmp_path) == [f"_long.py:command ({LONGEST + 1} lines)"]
