"""``nbops checkout RUN``: put a run's products back into the working products folder.

The manifest must match its seal, and every product path it names must be a
product the pipeline declares, inside the project: a relative path without
``..``, not through a symbolic link, not inside ``.git`` (:func:`confine`).
A forged manifest therefore cannot make checkout write over source files or
outside the project. Every object is verified before it is copied (a private
copy, reflinked when possible: Ploomber may rewrite products in place later).
Ploomber's metadata files are restored with them, so tasks whose sources
still match the run are up to date for the next ``ploomber build``. Runs under
the project lock; nothing is written unless every check passed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from nbops.adapters import metadata_path
from nbops.contracts import read_sealed_manifest
from nbops.core import (
    ConfigError,
    ContentStore,
    IntegrityError,
    LedgerError,
    Project,
    ProjectLock,
    crash_point,
    load_yaml,
)
from nbops.runs._verify import withheld_objects

if TYPE_CHECKING:
    from nbops.contracts import StoredFile

# '{{env placeholders}}' and the '[[grid values]]' of a grid task's product
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\[\[.*?\]\]")


@dataclass
class CheckoutResult:
    """What a checkout restored."""

    run_id: str
    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: products that are not files (SQL tables, views): recorded by name, never stored
    not_stored: list[str] = field(default_factory=list)


def checkout_run(project: Project, run_id: str, lock_timeout: float | None = None,
                 tasks: Collection[str] | None = None) -> CheckoutResult:
    """Restore every product ``run_id`` recorded (``run_id`` must be resolved).

    With ``tasks``, only those tasks' products (a sweep restoring what did not change).

    Raises:
        IntegrityError: a stored object is missing or corrupt (nothing is
            written then: every object is verified before the first copy).
        LedgerError: the run recorded no products.
    """
    manifest = read_sealed_manifest(project.manifest_path(run_id))
    store = ContentStore(project.store_dir)
    plan: list[tuple[str, str, str | None]] = []
    folders: dict[str, dict[str, StoredFile] | None] = {}  # folder products: their files
    result = CheckoutResult(run_id)
    for name, task in manifest["tasks"].items():
        if tasks is not None and name not in tasks:
            continue
        for key, product in task["products"].items():
            digest = product["hash"]
            if digest and task["status"] in ("executed", "skipped"):
                plan.append((product["path"], digest, product.get("metadata_hash")))
                folders[product["path"]] = dict(product.get("files") or {}) \
                    if product.get("kind") == "folder" else None
            elif product.get("kind") == "external":
                result.not_stored.append(f"{name}:{key} ({product['path']})")
            else:
                result.skipped.append(f"{name}:{key}")
    if not plan:
        raise LedgerError(f"Run {run_id} recorded no products to restore",
                          "pick a run whose tasks executed or were reused")
    pipeline = pipeline_name((manifest.get("build") or {}).get("pipeline"))
    declared = declared_products(project, pipeline)
    for path, _, _ in plan:
        confine(project, path, declared, run_id, pipeline)
    _refuse_withheld(project, run_id, store, plan)
    lock = ProjectLock(project.lock_path, purpose="checkout")
    lock.acquire(lock_timeout)
    try:
        for path, digest, meta in plan:
            store.verify(digest)
            for item in (folders.get(path) or {}).values():
                store.verify(item["hash"])
            if meta:
                store.verify(meta)
        for path, digest, meta in plan:
            target = confine(project, path, declared, run_id, pipeline)
            files = folders.get(path)
            if files is None:
                store.materialize(digest, target, link=False)
            for relative, item in (files or {}).items():
                store.materialize(item["hash"], _inside_folder(target, relative, run_id),
                                  link=False)
            if meta:
                store.materialize(meta, metadata_path(target), link=False)
            crash_point("checkout.product_restored")
            result.restored.append(path)
    finally:
        lock.release()
    return result


def _refuse_withheld(project: Project, run_id: str, store: ContentStore,
                     plan: list[tuple[str, str, str | None]]) -> None:
    """Refuse, before any write, a pulled run whose push kept back a product it needs."""
    withheld = withheld_objects(project, run_id)
    for path, digest, meta in plan:
        kept = [d for d in (digest, meta) if d and d in withheld and not store.has(d)]
        if kept:
            raise IntegrityError(
                f"Run {run_id}'s {path} (or its Ploomber metadata) held a secret, so the push "
                "that shared the run kept it back and it cannot be restored here",
                "check the run out on the machine that made it, or build it again here")


def _inside_folder(folder: Path, relative: str, run_id: str) -> Path:
    """A folder product's file, refused if its recorded name leaves the folder."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative or not pure.parts:
        raise IntegrityError(f"Run {run_id} names the file {relative!r} in a folder product, "
                             "which leaves the folder",
                             f"run `nbops verify {run_id}`; the manifest was forged or damaged")
    target = folder
    for part in pure.parts:
        target = target / part
        if target.is_symlink():
            raise IntegrityError(f"Run {run_id}'s folder product file {relative!r} goes "
                                 "through a symbolic link; checkout never follows links",
                                 "remove the link, then check out again")
    return target


def pipeline_name(pipeline: str | None) -> str:
    """The pipeline file a run was built from, as its manifest names it.

    A name with a folder or a leading dot is not believed (a forged manifest
    could point anywhere): ``pipeline.yaml`` is read instead.
    """
    return pipeline if pipeline and "/" not in pipeline and not pipeline.startswith(".") \
        else "pipeline.yaml"


def declared_products(project: Project, pipeline: str | None) -> list[str] | None:
    """The product paths (or patterns, ``{{placeholders}}`` as ``*``) ``pipeline`` declares.

    None when the pipeline's tasks are not a plain list in the file (a task
    factory), so only the other confinement rules apply.
    """
    name = pipeline_name(pipeline)
    try:
        spec = load_yaml(project.root / name, "pipeline")
    except ConfigError:
        return None
    tasks = spec.get("tasks") if isinstance(spec, dict) else None
    if not isinstance(tasks, list):
        return None
    declared: list[str] = []
    for task in tasks:
        product = task.get("product") if isinstance(task, dict) else None
        values = product.values() if isinstance(product, dict) else [product]
        for value in values:
            if isinstance(value, str):
                pattern = _PLACEHOLDER.sub("*", value)
                declared.append(pattern)
                if pattern.startswith("*/"):  # '{{root}}/out/x.csv': the project-relative part
                    declared.append(pattern[2:])
    return declared


def confine(project: Project, path: str, declared: list[str] | None, run_id: str,
            pipeline: str = "pipeline.yaml") -> Path:
    """The absolute target of the product ``path``, or IntegrityError if it may not be written.

    Refused: absolute paths, ``..``, paths inside ``.git``, paths through a
    symbolic link (or onto one), and paths the pipeline does not declare
    (``declared``, read from the file ``pipeline``).
    """
    fix = (f"run `nbops verify {run_id}`; the manifest was forged or damaged, restore the run "
           "folder from a backup or delete it")
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or Path(path).is_absolute() or "\\" in path:
        raise IntegrityError(f"Run {run_id} names the product path {path!r}, which is not "
                             "relative to the project", fix)
    if ".." in pure.parts or ".git" in pure.parts:
        raise IntegrityError(f"Run {run_id} names the product path {path!r}, which leaves the "
                             "products it may restore", fix)
    if declared is not None and not any(
            fnmatch.fnmatchcase(pure.as_posix(), PurePosixPath(pattern).as_posix())
            for pattern in declared):
        raise IntegrityError(f"Run {run_id} names the product path {path!r}, which "
                             f"{pipeline} does not declare as a product", fix)
    target = project.root
    for part in pure.parts:
        target = target / part
        if target.is_symlink():
            raise IntegrityError(f"Run {run_id}'s product path {path!r} goes through the "
                                 f"symbolic link {project.relative(target)}; checkout never "
                                 "follows links", "remove the link, then check out again")
    return target
