"""Serving: ``nbops serve-model`` answers HTTP scoring requests with a registered model.

A layer above the feature packages: it loads models through ``nbops.registry``,
prepares raw inputs with ``nbops.validation._preparation`` and logs what it
scored for ``nbops.monitoring`` to read (``prediction_log``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.serving._feedback import (
        logged_batch,
        parse_window,
        read_feedback_file,
        record_feedback,
    )
    from nbops.serving._prediction_log import log_dir
    from nbops.serving._server import limit_threads, serve

__all__ = [
    "limit_threads", "log_dir", "logged_batch", "parse_window", "read_feedback_file",
    "record_feedback", "serve",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_feedback": ("logged_batch", "parse_window", "read_feedback_file", "record_feedback"),
        "_prediction_log": ("log_dir",),
        "_server": ("limit_threads", "serve"),
    })
