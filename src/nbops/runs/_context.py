"""The run context handed to every post-close step.

While the post-close steps run, the run's manifest says ``closing``; the
context keeps the verdict the run will close with (:attr:`RunContext.outcome`)
in memory, and :meth:`RunContext.update` writes each feature's section to disk
as it is produced (memory and disk in step: nothing is re-read). Only once
every step has finished does :meth:`RunContext.finish` write the final status.
Every write seals the bytes of this in-memory record, never what is on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nbops.contracts import Manifest, Section, SectionT
from nbops.core import ContentStore, LedgerError, Project, crash_point
from nbops.runs._persist import save_manifest

logger = logging.getLogger("nbops")

#: A JSON object (a manifest section, ``env.yaml``'s values).
JsonObject = dict[str, object]
#: The verdict a closing run will get once every post-close step has finished.
Outcome = Literal["succeeded", "failed", "gated", "alert"]
#: ``alert``: a monitoring build whose verdict reached its ``fail_on``.
OUTCOMES: tuple[Outcome, ...] = ("succeeded", "failed", "gated", "alert")

#: Sections owned by the ledger itself; features add their own instead.
CORE_SECTIONS = frozenset({
    "schema_version", "run_id", "project", "status", "started_at", "finished_at", "duration_s",
    "command", "host", "pid", "build", "params", "env", "tasks", "metrics", "provenance",
    "failure", "store", "interrupted", "overhead",
})


def check_section(section: Section[SectionT], value: Mapping[str, object]) -> None:
    """Raise LedgerError when ``value`` does not match ``section``'s schema (an nbops bug)."""
    if section.name in CORE_SECTIONS:
        raise LedgerError(f"Manifest section {section.name!r} belongs to the run ledger",
                          "store feature data under your own section name")
    errors = section.errors(value)
    if errors:
        raise LedgerError(
            f"nbops produced an invalid {section.name!r} section: {'; '.join(errors[:3])}",
            "this is a bug in nbops; please report it with the message above")


@dataclass
class RunContext:
    """One closing run, as nbops holds it in memory.

    Attributes:
        project: the project's paths.
        run_id: the run's id.
        manifest: the run's manifest exactly as last written (status ``closing``
            until :meth:`finish`).
        outcome: the verdict the run will close with (``succeeded``/``failed``,
            or ``gated`` once a step set it).
        sealed: digest of the manifest bytes last written (the seal's hash).
    """

    project: Project
    run_id: str
    manifest: Manifest
    outcome: Outcome = "succeeded"
    sealed: str | None = None
    finished: bool = field(default=False)

    @property
    def run_dir(self) -> Path:
        """``reports/runs/<run_id>/``."""
        return self.project.run_dir(self.run_id)

    @property
    def manifest_path(self) -> Path:
        """``reports/runs/<run_id>/manifest.json``."""
        return self.project.manifest_path(self.run_id)

    @property
    def status(self) -> Outcome:
        """The verdict so far (``succeeded``, ``failed`` or ``gated``).

        The manifest on disk says ``closing`` until :meth:`finish`.
        """
        return self.outcome

    @property
    def env(self) -> JsonObject:
        """The build's resolved ``env.yaml`` values (secrets redacted)."""
        env = self.manifest.get("env", {})
        return dict(env) if isinstance(env, dict) else {}

    @property
    def store(self) -> ContentStore:
        """The project's content store."""
        return ContentStore(self.project.store_dir)

    def notebook_path(self, task: str) -> Path | None:
        """The run's executed notebook for ``task`` (inside the run folder), if any."""
        record = self.manifest["tasks"].get(task)
        notebook = record.get("notebook") if record is not None else None
        return self.run_dir / notebook["path"] if notebook else None

    def update(self, section: Section[SectionT], value: SectionT) -> None:
        """Set a feature's section, validated, in memory and on disk (still ``closing``)."""
        check_section(section, value)
        section.put(self.manifest, value)
        # only this section changed, and it was just checked against its own schema
        self._write(index_too=False, validate=False)
        crash_point(f"close.section.{section.name}")

    def set_outcome(self, outcome: Outcome) -> None:
        """Change the verdict the run will close with (e.g. ``gated`` after a failed gate)."""
        if outcome not in OUTCOMES:
            raise LedgerError(f"{outcome!r} is not a final run status",
                              f"use one of {', '.join(OUTCOMES)}")
        self.outcome = outcome

    def finish(self) -> None:
        """Write the final status: the last durable step of a build's close."""
        self.manifest["status"] = self.outcome
        self._write(index_too=True)
        self.finished = True
        crash_point("close.finished")
        logger.info("nbops: run %s %s", self.run_id, self.outcome)

    def _write(self, index_too: bool, validate: bool = True) -> None:
        self.sealed = save_manifest(self.project, self.manifest, self.sealed, index_too,
                                    validate)
