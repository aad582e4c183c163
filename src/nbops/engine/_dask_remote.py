"""Dask without a shared folder: task inputs and products travel through the team remote.

With a remote set (``.nbops/remote.yaml`` or ``$NBOPS_REMOTE``), the
:class:`~nbops.engine.dask_executor.DaskExecutor` does not assume that workers
see the project folder. For each task the build process stores the task's
input files (its upstream products) in the content store and on the remote
and sends only their ``{relative path: hash}``; the worker builds the task in a
private folder of its own (under its Dask ``local_directory``): it downloads
the inputs by hash (re-hashed on arrival), rewrites the build's project path to
that folder in the task's products and rendered notebook, builds, uploads each
product to the remote by hash and returns ``{relative path: hash}``. The build
process then downloads the products (re-hashed again) into its store and
copies them into place, so the ledger, reports and later tasks see them as if
they had been built locally.

Workers read the remote's credentials from their own environment (the
store's standard variables); only the URL travels with the task.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbops.core import ContentStore, hash_file
from nbops.remote import download_objects, open_remote


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


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        raise ValueError(f"{path} is outside the project {root}; with a remote and no shared "
                         "folder, products must live inside the project") from None


def send_inputs(task: Any, root: Path, url: str) -> dict[str, str]:
    """Store and upload the task's upstream product files; ``{relative path: hash}``."""
    store = ContentStore(root / ".nbops" / "store")
    remote = open_remote(url)
    inputs: dict[str, str] = {}
    for upstream in task.upstream.values():
        for file in product_files(upstream.product):
            path = Path(str(file._path_to_file))
            if not path.is_file():
                continue
            digest = store.put_file(path).digest
            inputs[_relative(path, root)] = digest
    missing = remote.missing_objects(inputs.values())
    for digest in missing:
        remote.put_object(store.path_for(digest), digest)
    return inputs


def _remap(task: Any, root: Path, workdir: Path) -> None:
    """Point the task's products and rendered notebook at ``workdir`` instead of ``root``."""
    old, new = str(root), str(workdir)
    for file in product_files(task.product):
        path = Path(str(file._path_to_file))
        if path.is_absolute() and str(path).startswith(old + os.sep):
            # a File's path is its (already rendered) Placeholder identifier
            file._identifier = file._init_identifier(new + str(path)[len(old):])
    source = getattr(task, "source", None)
    rendered = getattr(source, "_nb_str_rendered", None)
    if source is not None and isinstance(rendered, str):
        source._nb_str_rendered = rendered.replace(old, new)


def build_in_private_folder(task: Any, root: str, env: dict[str, str], url: str,
                            inputs: dict[str, str]) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """Worker side: fetch inputs, build the task in a private folder, upload its products."""
    from distributed import get_worker

    from nbops.engine.dask_executor import _TASK_LOCK

    with _TASK_LOCK:
        workdir = Path(get_worker().local_directory) / "nbops-tasks" / uuid.uuid4().hex[:12]
        workdir.mkdir(parents=True)
        remote = open_remote(url)
        for relpath, digest in inputs.items():
            target = workdir / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            remote.get_object(digest, target)  # re-hashed on arrival
        _remap(task, Path(root), workdir)
        saved_cwd, saved_env = os.getcwd(), dict(os.environ)
        os.chdir(workdir)
        os.environ.update({**env, "NBOPS_PROJECT_ROOT": str(workdir)})
        try:
            report, metadata = task._build(catch_exceptions=True)
            outputs: dict[str, str] = {}
            for file in product_files(task.product):
                path = Path(str(file._path_to_file))
                if path.is_file():
                    outputs[_relative(path, workdir)] = hash_file(path)
            for digest in remote.missing_objects(outputs.values()):
                source = next(workdir / r for r, d in outputs.items() if d == digest)
                remote.put_object(source, digest)
            return report, metadata, outputs
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            shutil.rmtree(workdir, ignore_errors=True)


def receive_outputs(root: Path, url: str, outputs: dict[str, str]) -> None:
    """Build side: download the task's products (verified) and put them in place."""
    store = ContentStore(root / ".nbops" / "store")
    download_objects(open_remote(url), store, outputs.values())
    for relpath, digest in outputs.items():
        target = (root / relpath).resolve()
        if root.resolve() not in target.parents:
            raise ValueError(f"a worker returned a product outside the project: {relpath!r}")
        store.materialize(digest, target, link=False)
