"""Dask without a shared folder: the build side of moving products through the team remote.

With a remote set (``.nbops/remote.yaml`` or ``$NBOPS_REMOTE``), the
:class:`~nbops.engine.dask_executor.DaskExecutor` does not assume that workers
see the project folder. For each task the build process stores the task's
input files (its upstream products) in the content store and on the remote
and sends only their ``{relative path: hash}`` in the task's
:class:`~nbops.engine._dask_job.NotebookJob`; the worker builds in a private
folder (:func:`nbops.engine._dask_job.run_job`) and pushes each product by hash.
The build process then downloads the products (re-hashed) into its store and
copies them into place, so the ledger, reports and later tasks see them as if
they had been built locally.

Workers read the remote's credentials from their own environment (the
store's standard variables); only the URL travels with the task.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nbops.core import ContentStore, atomic_write_bytes
from nbops.remote import download_objects, open_remote


def relative(path: Path, root: Path) -> str:
    """``path`` relative to the project; one sentence if it lies outside."""
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        from nbops.core import ConfigError

        raise ConfigError(f"product {path} is outside the project {root}, so Dask workers "
                          "cannot send it back through the team remote",
                          "keep products inside the project folder (pipeline.yaml)") from None


def send_inputs(paths: Iterable[Path], root: Path, url: str) -> dict[str, str]:
    """Store and upload the files a task reads; ``{relative path: hash}``."""
    store = ContentStore(root / ".nbops" / "store")
    remote = open_remote(url)
    inputs: dict[str, str] = {}
    for path in paths:
        if path.is_file():
            inputs[relative(path, root)] = store.put_file(path).digest
    for digest in remote.missing_objects(set(inputs.values())):
        remote.put_object(store.path_for(digest), digest)
    return inputs


def receive_outputs(root: Path, url: str, outputs: dict[str, str],
                    inline: dict[str, bytes] | None = None) -> None:
    """Download a task's products (verified) and put them in place, with the files the
    worker sent in its result because they hold a secret (never through the remote)."""
    store = ContentStore(root / ".nbops" / "store")
    download_objects(open_remote(url), store, set(outputs.values()))
    for relpath, digest in outputs.items():
        store.materialize(digest, _inside(root, relpath), link=False)
    for relpath, data in (inline or {}).items():
        target = _inside(root, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)


def _inside(root: Path, relpath: str) -> Path:
    target = (root / relpath).resolve()
    if root.resolve() not in target.parents:
        raise ValueError(f"a worker returned a product outside the project: {relpath!r}")
    return target


def product_files(product: Any) -> Iterator[Any]:
    """The Ploomber ``File`` products of a task's product (a File or a MetaProduct)."""
    if hasattr(product, "_path_to_file"):
        yield product
        return
    container = getattr(product, "products", None)  # MetaProduct -> Products -> dict
    items = getattr(container, "products", container)
    if isinstance(items, dict):
        for item in items.values():
            yield from product_files(item)
