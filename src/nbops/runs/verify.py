"""``nbops verify RUN``: re-hash everything a run references.

Checks the manifest (parses, matches its schema, matches its seal), every
stored object it names (products, Ploomber metadata, notebooks, artifacts,
the uncommitted git diff) and the notebooks in the run folder. Problems are
reported, never repaired silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nbops.core.errors import NbopsError
from nbops.core.hashing import hash_file
from nbops.core.manifest import Manifest, check_seal, read_manifest
from nbops.core.project import Project
from nbops.core.store import ContentStore


@dataclass
class VerifyReport:
    """The outcome of verifying one run."""

    run_id: str
    checked: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for ``--json``)."""
        return {"run_id": self.run_id, "ok": self.ok, "checked": self.checked,
                "problems": self.problems}


def referenced_objects(manifest: Manifest) -> Iterator[tuple[str, str]]:
    """Every ``(what, digest)`` stored object the manifest references."""
    for name, task in manifest["tasks"].items():
        for key, product in task["products"].items():
            if product.get("hash"):
                yield f"task {name} product {key} ({product['path']})", product["hash"]
            if product.get("metadata_hash"):
                yield f"task {name} product {key} metadata", product["metadata_hash"]
        if task["notebook"] and task["notebook"].get("hash"):
            yield f"task {name} notebook", task["notebook"]["hash"]
        for artifact in task["artifacts"]:
            if artifact.get("hash"):
                yield f"task {name} artifact {artifact['path']}", artifact["hash"]
    git = manifest["provenance"]["git"]
    if git.get("diff_stored") and git.get("diff_hash"):
        yield "uncommitted git diff", git["diff_hash"]


def verify_run(project: Project, run_id: str) -> VerifyReport:
    """Verify one run (``run_id`` must already be resolved)."""
    report = VerifyReport(run_id)
    path = project.manifest_path(run_id)
    try:
        manifest = read_manifest(path)
    except NbopsError as exc:
        report.problems.append({"what": "manifest", "problem": str(exc)})
        return report
    report.checked += 1
    seal_problem = check_seal(path)
    if seal_problem:
        report.problems.append({"what": "manifest", "problem": seal_problem})
    store = ContentStore(project.store_dir)
    seen: set[str] = set()
    for what, digest in referenced_objects(manifest):
        if digest in seen:
            continue
        seen.add(digest)
        report.checked += 1
        try:
            store.verify(digest)
        except NbopsError as exc:
            report.problems.append({"what": what, "problem": str(exc)})
    for name, task in manifest["tasks"].items():
        notebook = task["notebook"]
        if not notebook:
            continue
        report.checked += 1
        copy = project.run_dir(run_id) / notebook["path"]
        if not copy.is_file():
            report.problems.append({"what": f"task {name} notebook",
                                    "problem": f"{copy} is missing"})
        elif hash_file(copy) != notebook["hash"]:
            report.problems.append({"what": f"task {name} notebook",
                                    "problem": f"{copy} does not match its recorded hash"})
    return report
