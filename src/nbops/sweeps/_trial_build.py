"""One trial's build, in a child process: restore what did not change, then ``ploomber build``.

``python -m nbops.sweeps._trial_build REQUEST.json`` runs in the folder the trial
builds in (the project, or one of the sweep's slots). It renders the DAG with the
trial's overrides (nothing executes), restores the products of the earlier run
with the most unchanged tasks (:mod:`nbops.runs._reuse`, every object verified),
writes the names of the restored tasks to the request's ``report`` file, and
then runs ``ploomber build`` with the same overrides, passing its exit code on.

A child process per trial keeps the sweep's own process free of Ploomber's
state and working directory, so trials can run side by side in slots. The build
runs in that same child, through Ploomber's own command line entry point (as
the ``ploomber`` executable would): Ploomber is imported once per trial, not
twice, which saved about 2.5 s of each trial (``python -X importtime``).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

from nbops.adapters import render_tasks
from nbops.core import NbopsError, Project, atomic_write_json
from nbops.reports import SITE_DEFERRED_ENV
from nbops.runs import TAGS_ENV, plan_reuse, restore_products


def run(request: dict[str, object]) -> int:
    """Restore, then build; returns ``ploomber build``'s exit code."""
    root = Path(str(request["root"]))
    pipeline = str(request["pipeline"])
    overrides = dict(request["overrides"])  # type: ignore[call-overload]
    project = Project(root)
    plan = plan_reuse(project, render_tasks(root, pipeline, overrides))
    reused = restore_products(project, plan)
    atomic_write_json(Path(str(request["report"])), {"reused": reused, "from": plan.run_id})
    argv = ["ploomber", "build", "--entry-point", pipeline]
    for key, value in overrides.items():
        argv += ["--env--" + key.replace(".", "--"), str(value)]
    os.environ[TAGS_ENV] = json.dumps(request["tags"])
    os.environ[SITE_DEFERRED_ENV] = "1"  # the sweep renders the site index once, at its end
    return _ploomber(argv, root)


def _ploomber(argv: list[str], root: Path) -> int:
    """Run Ploomber's command line in this process (in ``root``); its exit code."""
    from ploomber_cli.cli import cmd_router

    os.chdir(root)
    sys.argv = argv
    try:
        cmd_router()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m nbops.sweeps._trial_build REQUEST.json``."""
    args = sys.argv[1:] if argv is None else argv
    # A slot is a project inside the project's .nbops/: Ploomber notices the outer
    # pipeline.yaml, says so, and correctly uses the slot's own.
    warnings.filterwarnings("ignore", message="Found project root with filename")
    request = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    try:
        code = run(request)
    except NbopsError as exc:  # e.g. a corrupt stored object: the trial fails, in one sentence
        sys.stderr.write(f"Error: {exc}\n")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
