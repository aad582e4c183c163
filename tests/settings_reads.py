"""Count how often nbops reads env.yaml and parses its ``gates:`` and ``registry:`` sections.

Issue 27: settings are read once per command (and once per build), each section parsed
once. :func:`counting_settings_reads` watches, with a profiling hook (so no import
binding can hide a call), every call of

* ``nbops.core._yaml_files.load_yaml`` on an env file (``env.yaml``, ``env.NAME.yaml``):
  nbops' one YAML loader, so every read of the file's text by nbops;
* ``nbops.registry._config.parse_registry_config``: the ``registry:`` section parsed;
* ``nbops.registry._gates.parse_gates``: the ``gates:`` section parsed.

Each entry records the calling function (``module:function``), so a failing count says
who read the file again. Ploomber's own read of env.yaml (its ``EnvDict``) is not
counted: it is Ploomber's, not nbops'.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

_ENV_FILE = re.compile(r"^env(\.[^.]+)?\.yaml$")
_PLUMBING = {"nbops.core._settings", "nbops.core._yaml_files", "nbops.registry._parsed_sections"}


@dataclass
class SettingsReads:
    """Who read env.yaml and who parsed the two sections, in call order."""

    env_reads: list[str] = field(default_factory=list)
    registry_parses: list[str] = field(default_factory=list)
    gates_parses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        return {"env.yaml reads": len(self.env_reads),
                "registry: parses": len(self.registry_parses),
                "gates: parses": len(self.gates_parses)}


def _caller(frame: FrameType) -> str:
    """The first caller outside the settings owner and the YAML loader."""
    back = frame.f_back
    while back is not None and back.f_globals.get("__name__") in _PLUMBING:
        back = back.f_back
    if back is None:
        return "?"
    return f"{back.f_globals.get('__name__', '?')}:{back.f_code.co_name}"


@contextmanager
def counting_settings_reads() -> Iterator[SettingsReads]:
    """Count, while the block runs, env.yaml reads and section parses (see the module)."""
    from nbops.core._yaml_files import load_yaml
    from nbops.registry._config import parse_registry_config
    from nbops.registry._gates import parse_gates

    reads = SettingsReads()
    watched: dict[CodeType, list[str]] = {
        parse_registry_config.__code__: reads.registry_parses,
        parse_gates.__code__: reads.gates_parses,
    }
    loader = load_yaml.__code__

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if code is loader:
            path = frame.f_locals.get("path")
            if path is not None and _ENV_FILE.match(Path(path).name):
                reads.env_reads.append(_caller(frame))
        elif code in watched:
            watched[code].append(_caller(frame))

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield reads
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)  # type: ignore[arg-type]


def main(argv: list[str]) -> None:
    """``python settings_reads.py ROOT OUT.json [ploomber build options]``: build the project
    at ROOT in this process (as the ``ploomber`` program would) and write the counts."""
    import json

    from nbops.adapters import run_ploomber_cli

    root, out = Path(argv[0]), Path(argv[1])
    with counting_settings_reads() as reads:
        code = run_ploomber_cli(["ploomber", "build", *argv[2:]], root)
    out.write_text(json.dumps({"exit": code, **reads.figures(), "env_reads": reads.env_reads,
                               "registry_parses": reads.registry_parses,
                               "gates_parses": reads.gates_parses}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])


def counted_command(*argv: str) -> tuple[int, SettingsReads]:
    """Run ``nbops ARGV`` in this process; its exit code and what it read."""
    from nbops.cli.main import main

    code = 0
    with counting_settings_reads() as reads:
        try:
            main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, reads
