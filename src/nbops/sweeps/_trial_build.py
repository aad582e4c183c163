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

import hashlib
import json
import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nbops.adapters import (
    TaskInfo,
    load_dag,
    loaded_from,
    render_loaded,
    render_tasks,
    run_ploomber_cli,
)
from nbops.core import NbopsError, Project, atomic_write_json, build_command
from nbops.reports import SITE_DEFERRED_ENV
from nbops.runs import TAGS_ENV, plan_reuse, restore_products

if TYPE_CHECKING:
    from nbops.contracts import JSONObject


class TrialRequest(TypedDict):
    """A trial's request file (``<log>.request.json``, written by
    :func:`nbops.sweeps._runner.write_request`)."""

    root: str
    pipeline: str
    overrides: dict[str, str]
    tags: JSONObject
    report: str
    later_trials: int
    measures_model: bool


#: A coming trial's DAG, loaded by the trial server while the trial before it ran
#: (:func:`load_ahead`): its request file, the digests of the files it was read from, and
#: the DAG itself, inherited by the trial's forked process.
_AHEAD: list[tuple[str, dict[str, str | None], Any]] = []


def _digests(files: Iterable[Path]) -> dict[str, str | None]:
    digests: dict[str, str | None] = {}
    for path in files:
        try:
            digests[str(path)] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            digests[str(path)] = None
    return digests


def _settings(request: TrialRequest) -> tuple[Path, str, dict[str, str]]:
    return (Path(str(request["root"])), str(request["pipeline"]),
            {str(k): str(v) for k, v in dict(request["overrides"]).items()})


def load_ahead(request_file: str) -> None:
    """Load the DAG of the trial ``request_file`` describes now, ahead of that trial.

    Called by the trial server while the trial before runs (on a core its notebooks
    leave free); the trial, forked afterwards, then only renders it (reading which tasks
    are up to date from the products' metadata as they are by then) instead of loading
    it again: about 0.12 s of each trial's start. Not used if any file it was read from
    (the pipeline and env files, every task's source) differs when the trial starts.
    Nothing is written.
    """
    _AHEAD.clear()
    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    root, pipeline, overrides = _settings(request)
    before = _digests(loaded_from(root, pipeline))
    dag = load_dag(root, pipeline, overrides)
    digests = _digests(loaded_from(root, pipeline, dag))
    if all(digests.get(name) == digest for name, digest in before.items()):
        _AHEAD.append((request_file, digests, dag))
    # else a file changed while it was read: the trial loads its own


def _tasks(request_file: str | None, request: TrialRequest) -> tuple[list[TaskInfo], bool]:
    """The trial's tasks, rendered; and whether its DAG had been loaded ahead."""
    root, pipeline, overrides = _settings(request)
    if _AHEAD:
        path, digests, dag = _AHEAD.pop()
        if path == request_file and _digests(Path(name) for name in digests) == digests:
            return render_loaded(root, dag), True
    return render_tasks(root, pipeline, overrides), False


def run(request: TrialRequest, request_file: str | None = None) -> int:
    """Restore, then build; returns ``ploomber build``'s exit code."""
    root, pipeline, overrides = _settings(request)
    project = Project(root)
    tasks, ahead = _tasks(request_file, request)
    plan = plan_reuse(project, tasks)
    reused = restore_products(project, plan)
    atomic_write_json(Path(str(request["report"])),
                      {"reused": reused, "from": plan.run_id, "loaded_ahead": ahead})
    argv = build_command("ploomber", entry_point=pipeline, overrides=overrides)
    os.environ[TAGS_ENV] = json.dumps(request["tags"])
    os.environ[SITE_DEFERRED_ENV] = "1"  # the sweep renders the site index once, at its end
    return run_ploomber_cli(argv, root)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m nbops.sweeps._trial_build REQUEST.json``."""
    args = sys.argv[1:] if argv is None else argv
    # A slot is a project inside the project's .nbops/: Ploomber notices the outer
    # pipeline.yaml, says so, and correctly uses the slot's own.
    warnings.filterwarnings("ignore", message="Found project root with filename")
    request = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    try:
        code = run(request, args[0])
    except NbopsError as exc:  # e.g. a corrupt stored object: the trial fails, in one sentence
        sys.stderr.write(f"Error: {exc}\n")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
