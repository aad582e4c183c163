"""Post-close step: push the build's run to the remote when the project asks for it.

Enabled by ``auto_push: true`` in ``.nbops/remote.yaml`` (``nbops remote set URL
--auto-push``) or ``NBOPS_AUTO_PUSH=1`` (a CI job). It runs after the reports, so
the run goes up with its final status and pages. A failing push never fails
the build and never touches the local run: the build's output says what was
not pushed and why, and ``nbops push`` (or the next build's push, which
includes every run not yet on the remote) catches up.
"""

from __future__ import annotations

import logging

from nbops.core import NbopsError
from nbops.remote import auto_push_enabled, configured_url, redact_url
from nbops.runs import OpenContext, RunContext

logger = logging.getLogger("nbops")


class PushStep:
    """The post-close step (after the reports): push the run when the project asks for it."""

    name = "push"
    #: runs once the run's final status is written (hooks._close): only final runs are pushed
    after_finish = True

    def prepare(self, ctx: OpenContext) -> None:
        """Nothing to get ready."""

    def run(self, ctx: RunContext) -> None:
        """Push; a failure is logged, never raised (see the module docstring)."""
        push_after_close(ctx)

    def close(self) -> None:
        """Nothing to release."""


def push_after_close(context: RunContext) -> None:
    """Push this run (and earlier runs the remote lacks); log, never raise, on failure."""
    project = context.project
    try:
        if not auto_push_enabled(project):
            return  # before importing the remote's stores and the push: most builds stop here
        from nbops.remote import open_remote, read_index
        from nbops.runs import run_ids_on_disk
        from nbops.sync._push import push_runs

        url = configured_url(project)
        if url is None:
            logger.warning("nbops: auto_push is on but no remote is set; run %s was not pushed "
                           "(run `nbops remote set URL`)", context.run_id)
            return
        remote = open_remote(url)
        remote.check_reachable()
        behind = [r for r in run_ids_on_disk(project) if r not in read_index(remote)]
        targets = sorted(set(behind) | {context.run_id})
        result = push_runs(project, targets, url=url)
    except Exception as exc:  # noqa: BLE001 - a push must never fail the build
        reason = str(exc) if isinstance(exc, NbopsError) else f"{type(exc).__name__}: {exc}"
        logger.warning("nbops: run %s was NOT pushed to the remote (%s); it is safe locally, "
                       "run `nbops push %s` when the remote is back", context.run_id,
                       redact_url(reason), context.run_id)
        return
    for run_id, refusal in result.refused.items():
        logger.warning("nbops: run %s was NOT pushed to the remote (%s)", run_id, refusal)
    logger.info("nbops: pushed %d run(s) to %s (%d objects, %d bytes uploaded)",
                   len(result.pushed), result.remote, result.objects_uploaded,
                   result.bytes_uploaded)
