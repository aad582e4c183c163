"""Reproducibility: re-execute a past run from its manifest and verify that it reproduces.

    reproduce_run(ref, project=None, strict=False, keep=False, timeout=None, announce=None)
        -> Reproduction (verdict: reproduced | within-tolerance | diverged)

See :mod:`nbops.reproduce.runner` for the procedure, :mod:`.compare` for the
verdict, :mod:`.declaration` for declaring non-deterministic tasks in env.yaml.
"""

from __future__ import annotations

from typing import Any

__all__ = ["reproduce_run"]


def __getattr__(name: str) -> Any:
    if name == "reproduce_run":
        from nbops.reproduce.runner import reproduce_run

        return reproduce_run
    raise AttributeError(f"module 'nbops.reproduce' has no attribute {name!r}")
