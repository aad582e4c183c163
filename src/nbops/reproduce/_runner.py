"""Reproduce a past run from its manifest alone, in a scratch copy.

:func:`reproduce_run` is the whole procedure:

1. read the run's manifest and check it can be reproduced (a git commit, the
   uncommitted diff in the store when the tree was dirty);
2. check out the commit into a temporary ``git worktree`` and re-apply the diff;
3. compare the environment (packages, Python, platform, dependency lock) with
   the recorded one and announce every difference before anything runs
   (``strict`` refuses on any);
4. restore the input data from the store by hash, and pass the recorded
   command-line parameters again (:mod:`nbops.reproduce._overrides`);
5. ``ploomber build`` the scratch copy (its own ledger records a run there);
6. compare the two runs task by task (:mod:`nbops.reproduce._compare`), write
   the record and HTML report into the original run's folder and link them
   from its manifest; the scratch copy is deleted.

The project's working products, store and later runs are never written,
except for the new ``reproductions/`` entries of the reproduced run.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbops.contracts import Manifest, ReproductionRecord
from nbops.core import (
    ContentStore,
    Project,
    ProjectSettings,
    ReproduceError,
    find_project,
    utc_now_iso,
)
from nbops.reproduce import _compare as compare
from nbops.reproduce import _execute as execute
from nbops.reproduce import _reproduction_record as record
from nbops.reproduce import _worktree as worktree
from nbops.reproduce._declaration import declaration_from_env
from nbops.reproduce._environment import EnvironmentReport, compare_environment
from nbops.reproduce._inputs import RestoredInputs, restore_inputs
from nbops.reproduce._origin import recorded_root
from nbops.reproduce._overrides import Overrides, compute_overrides

logger = logging.getLogger("nbops")

#: Called once the environment has been compared, before the build starts.
Announce = Callable[[EnvironmentReport, list[str]], None]
#: Called with (project folder, scratch project folder, the run's manifest) before the
#: build: puts back state the run read that is not code or input data (the registry
#: version a monitoring run scored with); returns sentences saying what it restored.
Restore = Callable[[Path, Path, Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Plan:
    """What the manifest says about how to re-create the run's code."""

    run_id: str
    commit: str
    branch: str | None
    diff: bytes
    diff_hash: str | None
    untracked: list[str]


def plan_from_manifest(project: Project, manifest: Mapping[str, Any]) -> Plan:
    """Check that ``manifest`` can be reproduced and gather the code to check out.

    Raises:
        ReproduceError: the run is still running, has no commit, or its diff was not kept.
    """
    run_id = manifest["run_id"]
    if manifest["status"] in ("running", "closing"):
        raise ReproduceError(
            f"run {run_id} is still {manifest['status']}",
            "wait for it to finish, then reproduce it"
        )
    git = manifest["provenance"]["git"]
    if not git.get("commit"):
        raise ReproduceError(
            f"run {run_id} was not made inside a git repository, so its code "
            "cannot be checked out again",
            "keep the project in git (git init; git commit) for reproducible runs",
        )
    diff = b""
    digest = git.get("diff_hash")
    if digest:
        store = ContentStore(project.store_dir)
        from nbops.runs import withheld_objects

        if not store.has(digest) and digest in withheld_objects(project, run_id):
            raise ReproduceError(
                f"run {run_id} was made from a dirty tree whose uncommitted diff held a secret, "
                "so the push that shared the run kept that diff back",
                "reproduce it on the machine that made it, or commit the change (with the "
                "secret read from the environment instead) and build again")
        if not git.get("diff_stored", False) or not store.has(digest):
            size = git.get("diff_size")
            raise ReproduceError(
                f"run {run_id} was made from a dirty tree and its uncommitted diff "
                f"({size if size is not None else '?'} bytes) is not in the content store",
                "commit your changes before a run you want to reproduce (diffs over 20 MiB are "
                "not captured)",
            )
        diff = store.read_bytes(digest)
    return Plan(
        run_id,
        str(git["commit"]),
        git.get("branch"),
        diff,
        digest,
        list(git.get("untracked") or []),
    )


def _pipeline_files(manifest: Mapping[str, Any]) -> tuple[str, str]:
    """The pipeline file the run built (pipeline.monitor.yaml for a monitoring run) and
    its env file, as recorded; pipeline.yaml and env.yaml for runs that recorded none."""
    build = manifest.get("build") or {}
    pipeline = str(build.get("pipeline") or "pipeline.yaml")
    env_file = build.get("env_file")
    if not env_file:
        stem = Path(pipeline).name.removeprefix("pipeline").removesuffix(".yaml")
        env_file = f"env{stem}.yaml"
    return pipeline, str(env_file)


def _entry_args(manifest: Mapping[str, Any]) -> list[str]:
    partially = (manifest.get("build") or {}).get("partially")
    return ["--partially", str(partially)] if partially else []


def _warnings(plan: Plan, overrides: Overrides, inputs: RestoredInputs) -> list[str]:
    notes = []
    if plan.untracked:
        shown = ", ".join(plan.untracked[:5]) + (" …" if len(plan.untracked) > 5 else "")
        notes.append(f"the run's tree had untracked files that were not captured: {shown}")
    for name in overrides.secrets:
        notes.append(
            f"parameter {name} was a redacted secret; the reproduction uses the value "
            "the checkout's env.yaml gives it"
        )
    for name in overrides.unknown:
        notes.append(
            f"parameter {name} was recorded but env.yaml at the run's commit has no such "
            "key; it was not passed"
        )
    for name in inputs.unverifiable:
        notes.append(f"input {name} was recorded without a hash and could not be restored")
    return notes


def _refuse(environment: EnvironmentReport) -> None:
    lines = [d.describe() for d in environment.differences]
    if environment.lock.recorded_hash is not None and not environment.lock.matches:
        lines.append(environment.lock.describe())
    raise ReproduceError(
        "the environment differs from the run's (--strict): " + "; ".join(lines),
        "run make install to sync the environment with the run's lock, or drop --strict",
    )


def _reproduced_run(scratch: Project, build: execute.BuildResult) -> Manifest:
    from nbops.runs import load_manifest, run_ids_on_disk

    run_ids = run_ids_on_disk(scratch) if scratch.runs_dir.is_dir() else []
    if not run_ids:
        tail = build.log_tail.strip().splitlines()[-1:] or [f"exit code {build.exit_code}"]
        raise ReproduceError(
            f"the reproduction build recorded no run ({tail[0]})",
            "check that pipeline.yaml at the run's commit declares the nbops hooks; the build "
            f"log is in {build.log_path} with --keep",
        )
    manifest: Manifest = load_manifest(scratch, run_ids[-1])
    return manifest


def _locator(original: Project, scratch: Project) -> compare.Locator:
    stores = {
        "recorded": ContentStore(original.store_dir),
        "reproduced": ContentStore(scratch.store_dir),
    }

    def locate(side: str, digest: str) -> Path | None:
        path = stores[side].path_for(digest)
        return path if path.is_file() else None

    return locate


def reproduce_run(
    ref: str,
    *,
    project: Project | None = None,
    strict: bool = False,
    keep: bool = False,
    timeout: float | None = None,
    announce: Announce | None = None,
    restore: Restore | None = None,
    trust_unsigned: bool = False,
) -> record.Reproduction:
    """Re-execute run ``ref`` in a scratch copy and compare it with the original.

    Args:
        ref: a run id, unique prefix, ``latest`` or ``latest~N``.
        project: the project (default: found from the current directory).
        strict: refuse to run when the environment differs from the run's.
        keep: keep the scratch copy (its path is logged) for inspection.
        timeout: give up on the build after this many seconds.
        announce: called with the environment comparison and warnings before the build.
        restore: puts back the state the run read besides code and data (see
            :data:`Restore`). The scratch copy never uses the team remote (its
            ``.nbops/remote.yaml`` is removed, ``$NBOPS_REMOTE`` unset): what the run
            read is restored, not what the remote holds today.
        trust_unsigned: run the code of a run pulled without a verified team-key
            signature all the same (``--trust-unsigned``).

    Raises:
        ReproduceError: the run cannot be reproduced (see the message), or ``strict``
            and the environment differs.
        IntegrityError: the run was pulled unverified (:func:`nbops.runs.require_verified`).
    """
    from nbops import __version__
    from nbops.runs import load_manifest, require_verified, resolve_run

    project = project or find_project()
    run_id = resolve_run(project, ref)
    require_verified(project, run_id, "run the code it records",
                     trust_unsigned=trust_unsigned)
    manifest = load_manifest(project, run_id)
    plan = plan_from_manifest(project, manifest)
    declared = declaration_from_env(manifest.get("env") or {})
    repo = worktree.repository_root(project.root)
    relative = Path(os.path.relpath(project.root.resolve(), repo.resolve()))
    started_at, started = utc_now_iso(), time.monotonic()
    scratch_dir = Path(tempfile.mkdtemp(prefix="nbops-reproduce-"))
    checkout = scratch_dir / "checkout"
    try:
        worktree.add_worktree(repo, plan.commit, checkout)
        worktree.apply_diff(checkout, plan.diff)
        scratch = Project(checkout / relative)
        environment = compare_environment(manifest["provenance"], project.root, scratch.root)
        inputs = restore_inputs(
            manifest["provenance"].get("inputs") or {},
            ContentStore(project.store_dir),
            scratch.root,
        )
        pipeline, env_name = _pipeline_files(manifest)
        at_commit = ProjectSettings.read(scratch.root / env_name)
        overrides = compute_overrides(manifest.get("env") or {}, at_commit.values, inputs.redirect)
        (scratch.root / ".nbops" / "remote.yaml").unlink(missing_ok=True)
        restored = [] if restore is None else restore(project.root, scratch.root, manifest)
        warnings = _warnings(plan, overrides, inputs) + restored
        if announce is not None:
            announce(environment, warnings)
        if strict and not environment.identical:
            _refuse(environment)
        shim = execute.package_path(scratch.root, scratch_dir / "pythonpath")
        child_env = execute.child_environment(
            manifest["provenance"].get("env_vars") or {}, shim, run_id=run_id
        )
        child_env.pop("NBOPS_REMOTE", None)
        build = execute.run_build(
            scratch.root,
            overrides.ordered(),
            child_env,
            scratch_dir / "build.log",
            timeout,
            pipeline=pipeline,
            extra_args=_entry_args(manifest),
        )
        reproduced = _reproduced_run(scratch, build)
        origin = recorded_root(project, manifest)  # a pulled run was built elsewhere
        replacements = {
            str(scratch.root): origin,
            os.path.realpath(scratch.root): origin,
            reproduced["run_id"]: run_id,
        }
        sides = compare.Sides(
            project.run_dir(run_id),
            scratch.run_dir(reproduced["run_id"]),
            replacements,
            _locator(project, scratch),
        )
        results = compare.compare_runs(manifest, reproduced, sides, declared)
        verdict, first = compare.verdict(results)
        result = record.Reproduction(
            id=reproduced["run_id"],
            run_id=run_id,
            started_at=started_at,
            finished_at=utc_now_iso(),
            duration_s=round(time.monotonic() - started, 3),
            verdict=verdict,
            first_diverged=first,
            tasks=results,
            environment=environment,
            code={
                "commit": plan.commit,
                "branch": plan.branch,
                "diff_applied": bool(plan.diff),
                "diff_hash": plan.diff_hash,
                "untracked": plan.untracked,
            },
            parameters={
                "overrides": overrides.describe(),
                "secrets": overrides.secrets,
                "unknown": overrides.unknown,
            },
            inputs={
                "restored": inputs.restored,
                "in_place": inputs.in_place,
                "redirect": inputs.redirect,
                "unverifiable": inputs.unverifiable,
            },
            build={
                "argv": build.argv,
                "exit_code": build.exit_code,
                "duration_s": build.duration_s,
                "status": reproduced.get("status"),
                "log_tail": build.log_tail,
            },
            warnings=warnings,
            nbops_version=__version__,
        )
        publish(project, result.to_dict())
        return result
    finally:
        if keep:
            logger.warning("nbops: scratch copy kept at %s", scratch_dir)
        else:
            worktree.remove_worktree(repo, checkout)
            _delete(scratch_dir)


def _delete(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        logger.warning("nbops: could not delete the scratch folder %s (%s)", folder, exc)


def publish(project: Project, data: ReproductionRecord) -> Path:
    """Write the record and link it from the run; return the record's path.

    The HTML page (``<id>.html`` beside the record) and the refreshed run page
    are the reports feature's: ``nbops reproduce`` calls
    :func:`nbops.reports._render.publish_reproduction` next.
    """
    path = record.write_record(project, data)
    record.link_from_run(project, data)
    return path
