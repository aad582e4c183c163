"""``nbops verify RUN``: re-hash everything a run references.

Checks the manifest (parses, matches its schema, matches its seal), every
stored object it names (products, Ploomber metadata, notebooks, artifacts,
the uncommitted git diff) and the notebooks in the run folder. Problems are
reported, never repaired silently. Each problem has a ``kind``:
``integrity`` (missing, altered or forged) or ``interrupted`` (a build or an
nbops write was cut short: the run never finished, or the manifest holds the
version before an interrupted write). The next build or ``nbops runs`` records
an unfinished run whose build is dead as ``interrupted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nbops.contracts import Manifest, read_manifest, seal_state
from nbops.core import ContentStore, NbopsError, Project, hash_file
from nbops.runs._stale import UNFINISHED, build_alive

if TYPE_CHECKING:
    from nbops.contracts import JSONObject

#: In a pulled run folder: the objects its push withheld because they held a secret
#: (digest -> {what, why}); verify reports them as withheld, not missing.
WITHHELD_NAME = "withheld.json"


@dataclass
class VerifyReport:
    """The outcome of verifying one run."""

    run_id: str
    checked: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    #: objects the push that shared this run kept back (they held a secret): not problems
    withheld: list[dict[str, str]] = field(default_factory=list)
    #: products the run names but nbops cannot store (SQL tables…): not checked
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return not self.problems

    @property
    def interrupted_only(self) -> bool:
        """Whether every problem is an interruption (nothing altered or missing)."""
        return bool(self.problems) and all(p.get("kind") == "interrupted"
                                           for p in self.problems)

    def add(self, what: str, problem: str, kind: str = "integrity") -> None:
        """Record one problem."""
        self.problems.append({"what": what, "problem": problem, "kind": kind})

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (for ``--json``)."""
        return {"run_id": self.run_id, "ok": self.ok, "checked": self.checked,
                "problems": self.problems, "withheld": self.withheld,
                "unchecked": self.unchecked}


def referenced_objects(manifest: Manifest) -> Iterator[tuple[str, str]]:
    """Every ``(what, digest)`` stored object the manifest references."""
    for name, task in manifest["tasks"].items():
        for key, product in task["products"].items():
            if product["hash"]:
                yield f"task {name} product {key} ({product['path']})", product["hash"]
            for relative, item in (product.get("files") or {}).items():  # a folder product
                yield f"task {name} product {key} ({product['path']}/{relative})", item["hash"]
            metadata_hash = product.get("metadata_hash")
            if metadata_hash:
                yield f"task {name} product {key} metadata", metadata_hash
        notebook = task["notebook"]
        if notebook and notebook["hash"]:
            yield f"task {name} notebook", notebook["hash"]
        for artifact in task["artifacts"]:
            if artifact["hash"]:
                yield f"task {name} artifact {artifact['path']}", artifact["hash"]
    git = manifest["provenance"]["git"]
    if git.get("diff_stored") and git["diff_hash"]:
        yield "uncommitted git diff", git["diff_hash"]


def verify_run(project: Project, run_id: str) -> VerifyReport:
    """Verify one run (``run_id`` must already be resolved)."""
    report = VerifyReport(run_id)
    path = project.manifest_path(run_id)
    state = seal_state(path)
    if state.kind == "interrupted" and state.digest is None:
        report.add("manifest", f"the build was interrupted before it wrote {path} "
                   "(only its seal exists)", "interrupted")
        return report
    try:
        manifest = read_manifest(path)
    except NbopsError as exc:
        report.add("manifest", str(exc))
        return report
    report.checked += 1
    if state.kind == "tampered":
        report.add("manifest", state.problem or "does not match its seal")
    elif state.kind == "interrupted":
        report.add("manifest", state.problem or "an nbops write was interrupted", "interrupted")
    if manifest["status"] in UNFINISHED and not build_alive(project, manifest):
        report.add("run", f"interrupted: the run is still {manifest['status']} but its build "
                   f"(pid {manifest['pid']}) is gone; `nbops runs` records it as interrupted",
                   "interrupted")
    report.unchecked = [f"{product['path']} of task {name}"
                        for name, task in manifest["tasks"].items()
                        for key, product in task["products"].items()
                        if product.get("kind") == "external"]
    store = ContentStore(project.store_dir)
    withheld = withheld_objects(project, run_id)
    seen: set[str] = set()
    for what, digest in referenced_objects(manifest):
        if digest in seen:
            continue
        seen.add(digest)
        if digest in withheld and not store.has(digest):
            report.withheld.append({"what": what, "hash": digest,
                                    "why": str(withheld[digest].get("why", ""))})
            continue
        report.checked += 1
        try:
            store.verify(digest)
        except NbopsError as exc:
            report.add(what, str(exc))
    for name, task in manifest["tasks"].items():
        notebook = task["notebook"]
        if not notebook:
            continue
        report.checked += 1
        copy = project.run_dir(run_id) / notebook["path"]
        if not copy.is_file():
            report.add(f"task {name} notebook", f"{copy} is missing")
        elif hash_file(copy) != notebook["hash"]:
            report.add(f"task {name} notebook", f"{copy} does not match its recorded hash")
    return report


def withheld_objects(project: Project, run_id: str) -> dict[str, JSONObject]:
    """The pulled run's ``withheld.json`` (empty for a run made here)."""
    import json

    path = project.run_dir(run_id) / WITHHELD_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
