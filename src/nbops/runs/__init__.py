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

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.runs._annotations import note_run, parse_tag, tag_run
    from nbops.runs._apply import ApplyPlan, plan_apply
    from nbops.runs._checkout import checkout_run
    from nbops.runs._context import CORE_SECTIONS, JsonObject, RunContext
    from nbops.runs._diff import diff_runs
    from nbops.runs._gc import GcResult, collect_garbage, read_pins, write_pins
    from nbops.runs._index import append as append_summary
    from nbops.runs._index import flat_params, run_ids_on_disk, summarize
    from nbops.runs._index import summaries as run_summaries
    from nbops.runs._ledger import (
        amend_section,
        list_runs,
        load_manifest,
        resolve_run,
        set_status,
        update_section,
    )
    from nbops.runs._lifecycle import OpenRun, adopt_run, close_run, open_run
    from nbops.runs._notebook_compare import compare_notebooks
    from nbops.runs._notebook_compare import normalise as normalise_notebook
    from nbops.runs._provenance import LOCK_FILES, installed_packages, interpreter
    from nbops.runs._pulled import (
        PULLED_NAME,
        origin_label,
        read_pulled,
        require_verified,
        write_pulled,
    )
    from nbops.runs._query import Query, parse_query, sort_rows
    from nbops.runs._reuse import plan_reuse
    from nbops.runs._reuse import restore as restore_products
    from nbops.runs._stale import build_alive
    from nbops.runs._steps import OpenContext, PostCloseStep, StepFactory
    from nbops.runs._tags import TAGS_ENV
    from nbops.runs._verify import WITHHELD_NAME, referenced_objects, verify_run, withheld_objects

__all__ = [
    "ApplyPlan", "CORE_SECTIONS", "GcResult", "JsonObject", "LOCK_FILES", "OpenContext",
    "OpenRun", "PULLED_NAME", "PostCloseStep", "Query", "RunContext", "StepFactory", "TAGS_ENV",
    "WITHHELD_NAME", "adopt_run", "amend_section", "append_summary", "build_alive",
    "checkout_run", "close_run", "collect_garbage", "compare_notebooks",
    "diff_runs", "flat_params", "installed_packages", "interpreter", "list_runs", "load_manifest",
    "normalise_notebook", "note_run", "open_run", "origin_label", "parse_query", "parse_tag",
    "plan_apply", "plan_reuse", "read_pins", "read_pulled", "referenced_objects",
    "require_verified", "resolve_run", "restore_products",
    "run_ids_on_disk", "run_summaries", "set_status", "sort_rows", "summarize", "tag_run",
    "update_section", "verify_run", "withheld_objects", "write_pins", "write_pulled",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_annotations": ("note_run", "parse_tag", "tag_run"),
        "_apply": ("ApplyPlan", "plan_apply"),
        "_checkout": ("checkout_run",),
        "_context": ("CORE_SECTIONS", "JsonObject", "RunContext"),
        "_diff": ("diff_runs",),
        "_pulled": ("PULLED_NAME", "origin_label", "read_pulled", "require_verified",
                    "write_pulled"),
        "_query": ("Query", "parse_query", "sort_rows"),
        "_gc": ("GcResult", "collect_garbage", "read_pins", "write_pins"),
        "_index": (
            "append_summary=append", "flat_params", "run_ids_on_disk", "run_summaries=summaries",
            "summarize",
        ),
        "_ledger": (
            "amend_section", "list_runs", "load_manifest", "resolve_run", "set_status",
            "update_section",
        ),
        "_lifecycle": ("OpenRun", "adopt_run", "close_run", "open_run"),
        "_notebook_compare": ("compare_notebooks", "normalise_notebook=normalise"),
        "_provenance": ("LOCK_FILES", "installed_packages", "interpreter"),
        "_reuse": ("plan_reuse", "restore_products=restore"),
        "_stale": ("build_alive",),
        "_steps": ("OpenContext", "PostCloseStep", "StepFactory"),
        "_tags": ("TAGS_ENV",),
        "_verify": ("WITHHELD_NAME", "referenced_objects", "verify_run", "withheld_objects"),
    })
