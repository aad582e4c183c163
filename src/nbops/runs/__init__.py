"""The run ledger: every ``ploomber build`` becomes an immutable, verifiable run.

The API other features use (see ARCHITECTURE.md):

    load_manifest(project, run_id)                  validated manifest of a run
    update_section(project, run_id, section, data)  add a feature section (atomic, validated)
    set_status(project, run_id, status)             e.g. mark a run ``gated``
    list_runs(project)                              summaries from the run index
    resolve_run(project, ref)                       ``latest``, ``latest~N``, id or prefix
    RunContext                                      what post-close steps receive
"""

from __future__ import annotations

from nbops.runs.context import RunContext
from nbops.runs.ledger import list_runs, load_manifest, resolve_run, set_status, update_section

__all__ = ["RunContext", "list_runs", "load_manifest", "resolve_run", "set_status",
           "update_section"]
