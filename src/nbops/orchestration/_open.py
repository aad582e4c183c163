"""``nbops run open``: the first task of a scheduled run opens it, on the team remote.

The run is opened by the ledger exactly as ``ploomber build``'s ``on_render`` opens
one (:func:`nbops.runs.open_run`: provenance, resolved parameters, the task list, a
``running`` manifest), on this worker's checkout of the project. Its manifest and the
files the ledger kept for ``nbops reproduce`` (input files, the uncommitted diff) then
go to the remote, where the other tasks and the close find them; the local lock is
released at once (the other tasks may run anywhere).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from nbops.contracts import BuildRecord, Manifest
from nbops.core import ContentStore, Project, check_parameters, is_hash
from nbops.orchestration._remote_state import manifest_key
from nbops.orchestration._settings import run_settings
from nbops.remote import open_remote, require_url

logger = logging.getLogger("nbops")


def kept_objects(manifest: Manifest) -> set[str]:
    """The objects the ledger stored at open for ``nbops reproduce`` (inputs, git diff)."""
    provenance = manifest["provenance"]
    found = {d for d in (provenance.get("inputs") or {}).values() if isinstance(d, str)}
    diff = (provenance.get("git") or {}).get("diff_hash")
    if isinstance(diff, str):
        found.add(diff)
    return {d for d in found if is_hash(d)}


def open_remote_run(project: Project, params: Mapping[str, object], force: bool = False) -> str:
    """Open a run of ``project`` with trigger-time ``params``; its id.

    Raises:
        ConfigError: a parameter is unknown or out of its declared range (nothing opened).
    """
    from nbops.runs import open_run

    url = require_url(project)
    remote = open_remote(url)
    remote.check_reachable()
    settings = run_settings(project, params, ["nbops", "run", "open"])
    check_parameters(settings.env)  # declared types and ranges, before anything is recorded
    tasks = settings.render(settings.load_dag())
    build: BuildRecord = {"force": force, "partially": None, "pipeline": settings.pipeline,
                          "env_file": settings.env_file}
    run = open_run(project, tasks, build, settings.env, settings.argv)
    try:
        store = ContentStore(project.store_dir)
        kept = {d for d in kept_objects(run.manifest) if store.has(d)}
        for digest in remote.missing_objects(kept):
            remote.put_object(store.path_for(digest), digest)
        remote.put_bytes(manifest_key(run.run_id),
                         project.manifest_path(run.run_id).read_bytes())
    except BaseException:
        run.abandon("the run could not be opened on the team remote")
        raise
    run.release()
    logger.info("nbops: run %s opened on %s", run.run_id, remote.label)
    return run.run_id
