"""Make the pipeline's files bit-for-bit reproducible.

Two things stand between a seeded model and an identical file:

* ``skops.io.dump`` writes a zip archive whose entries carry the current time,
  and names each array after ``id(obj)`` (a memory address) inside the archive
  and in its ``schema.json``. :func:`repack_skops` rewrites the archive with
  the ids renumbered in order of first appearance, entries sorted, a fixed
  timestamp and fixed permissions. The model loads exactly as before.
* OpenMP reductions (``HistGradientBoostingClassifier``) add floating-point
  numbers in an order that depends on the number of threads.
  :func:`fixed_threads` pins that number for the duration of a block.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The earliest timestamp a zip entry can carry; used for every entry.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SCHEMA = "schema.json"


def _renumber(node: Any, ids: dict[int, int]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                out[key] = ids.setdefault(value, len(ids))
            elif (
                key == "file"
                and isinstance(value, str)
                and value.endswith(".npy")
                and value[:-4].isdigit()
            ):
                out[key] = f"{ids.setdefault(int(value[:-4]), len(ids))}.npy"
            else:
                out[key] = _renumber(value, ids)
        return out
    if isinstance(node, list):
        return [_renumber(item, ids) for item in node]
    return node


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def repack_skops(path: str | Path) -> Path:
    """Rewrite a ``.skops`` file so that equal models give equal bytes.

    The archive is replaced atomically (temporary file in the same folder,
    then rename).
    """
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        schema = json.loads(source.read(_SCHEMA))
        ids: dict[int, int] = {}
        renumbered = _renumber(schema, ids)
        members = {}
        for info in source.infolist():
            if info.filename == _SCHEMA:
                continue
            stem = info.filename[:-4]
            if info.filename.endswith(".npy") and stem.isdigit():
                name = f"{ids.setdefault(int(stem), len(ids))}.npy"
            else:
                name = info.filename
            members[name] = source.read(info)
    members[_SCHEMA] = json.dumps(renumbered, indent=2).encode("utf-8")
    tmp = path.with_name(f".{path.name}.repack")
    with zipfile.ZipFile(tmp, "w") as target:
        for name in sorted(members):
            target.writestr(_entry(name), members[name], compresslevel=6)
    os.replace(tmp, path)
    return path


@contextmanager
def fixed_threads(n_threads: int) -> Iterator[None]:
    """Run the block with ``n_threads`` OpenMP/BLAS threads (results then match run to run)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    if n_threads < 1:
        raise ValueError("n_threads must be at least 1")
    with threadpool_limits(limits=n_threads):
        yield
