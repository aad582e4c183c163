"""The ``reproductions`` manifest section: typed and schema-checked.

Written by ``nbops reproduce`` on the run it reproduced, through
:func:`nbops.runs._ledger.amend_section` (validated against
``nbops/reproduce/schemas/reproductions.section.schema.json``).
"""

from __future__ import annotations

from typing import TypedDict

from nbops.runs import Section


class ReproductionItem(TypedDict):
    """One reproduction of the run."""

    id: str
    started_at: str
    verdict: str
    first_diverged: dict[str, str] | None  # {task, reason}
    environment_identical: bool
    report: str
    record: str


class ReproductionsSection(TypedDict):
    """``manifest["reproductions"]``."""

    items: list[ReproductionItem]


REPRODUCTIONS: Section[ReproductionsSection] = Section("reproductions",
                                                       "nbops.reproduce.schemas")
