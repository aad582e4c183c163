"""The close in order: steps see a ``closing`` run; only ``finish`` writes the final status."""

from __future__ import annotations

import json
import os

from nbops.core._errors import GateFailure
from nbops.hooks import run_post_close_steps
from nbops.runs import RunContext, list_runs, load_manifest
from nbops.runs._lifecycle import close_run, open_run
from nbops.runs._steps import OpenContext, PostCloseStep
from nbops.runs._verify import verify_run


class Recorder:
    """A post-close step that records what it saw of the run, on disk and in memory."""

    def __init__(self, name: str, gate: bool = False) -> None:
        self.name = name
        self.gate = gate
        self.seen: list[tuple[str, str]] = []
        self.closed = False

    def prepare(self, ctx: OpenContext) -> None:
        self.seen.append(("prepared", ctx.run_id))

    def run(self, ctx: RunContext) -> None:
        on_disk = json.loads(ctx.manifest_path.read_text())["status"]
        self.seen.append((on_disk, ctx.status))
        if self.gate:
            ctx.set_outcome("gated")
            raise GateFailure("the gate failed", "fix the model")

    def close(self) -> None:
        self.closed = True


def test_steps_run_while_the_run_is_closing_and_finish_writes_the_verdict(project) -> None:
    run = open_run(project, [], {"pipeline": "pipeline.yaml"}, {})
    try:
        gate, later = Recorder("gate", gate=True), Recorder("later")
        assert isinstance(gate, PostCloseStep)
        context = close_run(run, [], {}, None)
        assert list_runs(project)[-1]["status"] == "closing"  # unfinished, build alive
        failure = run_post_close_steps(context, [gate, later])
        assert isinstance(failure, GateFailure)  # returned after every step ran
        assert gate.seen == [("closing", "succeeded")]
        assert later.seen == [("closing", "gated")]
        assert load_manifest(project, run.run_id)["status"] == "closing"
        context.finish()
    finally:
        run.release()
    assert load_manifest(project, run.run_id)["status"] == "gated"
    assert list_runs(project)[-1]["status"] == "gated"
    assert verify_run(project, run.run_id).ok


def test_a_build_stopped_while_closing_is_recorded_as_interrupted(project) -> None:
    run = open_run(project, [], {"pipeline": "pipeline.yaml"}, {})
    context = close_run(run, [], {}, None)
    run.abandon()  # what Ctrl-C during a post-close step does (hooks._close)
    manifest = load_manifest(project, run.run_id)
    assert manifest["status"] == "interrupted" and manifest["interrupted"]["phase"] == "closing"
    assert context.finished and verify_run(project, run.run_id).ok


def test_a_slot_sharing_the_ledger_never_removes_a_run_another_build_is_opening(
        project, tmp_path) -> None:
    """Seen in CI: a parallel sweep trial deleted the folder of a run being opened next door."""
    from nbops.contracts._manifest_file import seal_path
    from nbops.core._project import Project

    opening = project.run_dir("20261128T235925514774Z-w6ngld")  # sealed, manifest not yet
    opening.mkdir(parents=True)
    seal_path(opening / "manifest.json").write_text(json.dumps({
        "schema_version": 1, "manifest_hash": "blake3:" + "0" * 64,
        "written_at": "2026-11-28T23:59:25Z"}))
    slot_root = project.state_dir / "sweeps" / "s" / "slots" / "1" / project.name
    slot_root.mkdir(parents=True)
    (slot_root / "pipeline.yaml").write_text("tasks: []\n")
    (slot_root / "reports").symlink_to(project.reports_dir, target_is_directory=True)
    slot = Project(slot_root)
    assert slot.shares_ledger and not project.shares_ledger
    run = open_run(slot, [], {"pipeline": "pipeline.yaml"}, {})
    close_run(run, [], {}, None).finish()
    run.release()  # as the build's hooks do
    assert opening.is_dir()  # the slot's build left it alone
    run = open_run(project, [], {"pipeline": "pipeline.yaml"}, {})  # the owner cleans up
    close_run(run, [], {}, None).finish()
    run.release()
    assert not opening.exists()


def test_a_released_run_gives_back_the_processs_project_variables(project, monkeypatch) -> None:
    """Seen in the suite: after a run closed in-process, `nbops models` read that run's
    project instead of the current folder's (NBOPS_PROJECT_ROOT stayed set)."""
    from nbops.core._project import ROOT_ENV, RUN_ENV

    monkeypatch.delenv(ROOT_ENV, raising=False)
    run = open_run(project, [], {"pipeline": "pipeline.yaml"}, {})
    assert os.environ[ROOT_ENV] == str(project.root) and os.environ[RUN_ENV] == run.run_id
    close_run(run, [], {}, None).finish()
    run.release()
    assert ROOT_ENV not in os.environ and RUN_ENV not in os.environ

    monkeypatch.setenv(ROOT_ENV, "/the/outer/project")  # a build started inside another
    run = open_run(project, [], {"pipeline": "pipeline.yaml"}, {})
    run.abandon()
    assert os.environ[ROOT_ENV] == "/the/outer/project"
