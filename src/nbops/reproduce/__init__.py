"""Reproducibility: re-execute a past run from its manifest and verify that it reproduces.

    reproduce_run(ref, project=None, strict=False, keep=False, timeout=None, announce=None)
        -> Reproduction (verdict: reproduced | within-tolerance | diverged)

See :mod:`nbops.reproduce._runner` for the procedure, :mod:`._compare` for the
verdict, :mod:`._declaration` for declaring non-deterministic tasks in env.yaml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.reproduce._compare import Check
    from nbops.reproduce._declaration import check_tasks, parse_declaration
    from nbops.reproduce._environment import EnvironmentReport
    from nbops.reproduce._execute import REPRODUCTION_ENV
    from nbops.reproduce._runner import reproduce_run

__all__ = [
    "Check", "EnvironmentReport", "REPRODUCTION_ENV", "check_tasks", "parse_declaration",
    "reproduce_run",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_compare": ("Check",),
        "_declaration": ("check_tasks", "parse_declaration"),
        "_environment": ("EnvironmentReport",),
        "_execute": ("REPRODUCTION_ENV",),
        "_runner": ("reproduce_run",),
    })
