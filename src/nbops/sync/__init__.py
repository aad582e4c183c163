"""Runs to and from the team remote: push, pull, listing, the post-close auto push, publish.

Sits above the run ledger and reports (it reads runs and pages) and uses the
transport of :mod:`nbops.remote` below them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.sync._after_build import PushStep
    from nbops.sync._listing import remote_summaries
    from nbops.sync._publish import publish_run_to, publish_site_to
    from nbops.sync._pull import PullResult, pull_runs
    from nbops.sync._push import push_runs

__all__ = [
    "PullResult", "PushStep", "publish_run_to", "publish_site_to", "pull_runs", "push_runs",
    "remote_summaries",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_after_build": ("PushStep",),
        "_listing": ("remote_summaries",),
        "_publish": ("publish_run_to", "publish_site_to"),
        "_pull": ("PullResult", "pull_runs"),
        "_push": ("push_runs",),
    })
