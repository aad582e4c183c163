"""Kept for the ``nbops_lazy_grammar.pth`` files that nbops wrote before the start-up
hooks moved to :mod:`nbops.runtime` (their line imports this module by name at every
interpreter start); ``nbops init --speedups`` rewrites them to name
:mod:`nbops.runtime.lazy_grammar`."""

from __future__ import annotations

from nbops.runtime.lazy_grammar import install

__all__ = ["install"]
