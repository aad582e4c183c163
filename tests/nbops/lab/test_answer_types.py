"""The lab API's answer types name exactly the fields ``labextension/src/api.ts`` reads.

``nbops.lab._answers`` types what the handlers send; the panel's TypeScript interfaces
say what it expects. A field added to one and not the other fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nbops.lab import _answers

API_TS = Path(__file__).resolve().parents[3] / "labextension" / "src" / "api.ts"
INTERFACE = re.compile(r"^export interface (\w+) \{\n(.*?)^\}", re.M | re.S)
FIELD = re.compile(r"^  (\w+)(\?)?:", re.M)  # top-level fields only (nested ones: 4 spaces)


def _interfaces() -> dict[str, dict[str, bool]]:
    """interface name -> {field: optional}"""
    return {name: {m[1]: bool(m[2]) for m in FIELD.finditer(body)}
            for name, body in INTERFACE.findall(API_TS.read_text(encoding="utf-8"))}


NAMES = ["LastRun", "TaskView", "Verdict", "BuildProgress", "PipelineView", "TaskRun",
         "VersionRow", "ModelView"]


@pytest.mark.parametrize("name", NAMES)
def test_an_answer_type_has_its_interfaces_fields(name: str) -> None:
    fields = _interfaces()[name]
    typed: Any = getattr(_answers, name)
    assert set(typed.__required_keys__) | set(typed.__optional_keys__) == set(fields)
    # what the panel may miss, the server may leave out
    assert {f for f, optional in fields.items() if optional} <= set(typed.__optional_keys__)
