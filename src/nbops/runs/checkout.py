"""``nbops checkout RUN``: put a run's products back into the working products folder.

Every object is verified before it is copied (a private copy, reflinked when
possible: Ploomber may rewrite products in place later). Ploomber's metadata
files are restored with them, so tasks whose sources still match the run
are up to date for the next ``ploomber build``. Runs under the project lock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from nbops.adapters.ploomber_adapter import metadata_path
from nbops.core.errors import LedgerError
from nbops.core.faults import crash_point
from nbops.core.locks import ProjectLock
from nbops.core.manifest import read_manifest
from nbops.core.project import Project
from nbops.core.store import ContentStore


@dataclass
class CheckoutResult:
    """What a checkout restored."""

    run_id: str
    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def checkout_run(project: Project, run_id: str, lock_timeout: float | None = None,
                 tasks: Collection[str] | None = None) -> CheckoutResult:
    """Restore every product ``run_id`` recorded (``run_id`` must be resolved).

    With ``tasks``, only those tasks' products (a sweep restoring what did not change).

    Raises:
        IntegrityError: a stored object is missing or corrupt (nothing is
            written then: every object is verified before the first copy).
        LedgerError: the run recorded no products.
    """
    manifest = read_manifest(project.manifest_path(run_id))
    store = ContentStore(project.store_dir)
    plan: list[tuple[str, str, str | None]] = []
    result = CheckoutResult(run_id)
    for name, task in manifest["tasks"].items():
        if tasks is not None and name not in tasks:
            continue
        for key, product in task["products"].items():
            if product.get("hash") and task["status"] in ("executed", "skipped"):
                plan.append((product["path"], product["hash"], product.get("metadata_hash")))
            else:
                result.skipped.append(f"{name}:{key}")
    if not plan:
        raise LedgerError(f"Run {run_id} recorded no products to restore",
                          "pick a run whose tasks executed or were reused")
    lock = ProjectLock(project.lock_path, purpose="checkout")
    lock.acquire(lock_timeout)
    try:
        for _, digest, meta in plan:
            store.verify(digest)
            if meta:
                store.verify(meta)
        for path, digest, meta in plan:
            target = project.absolute(path)
            store.materialize(digest, target, link=False)
            if meta:
                store.materialize(meta, metadata_path(target), link=False)
            crash_point("checkout.product_restored")
            result.restored.append(path)
    finally:
        lock.release()
    return result
