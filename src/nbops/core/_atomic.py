"""Atomic file writes: temporary file in the same folder, fsync, ``os.replace``.

A reader never sees a half-written file: either the old content or the new
one. A crash leaves at most a stray ``.tmp-*`` file, never a truncated target.
Every nbops write of a whole file goes through here: :func:`atomic_write_bytes`
(and its text/JSON forms) for data in memory, :func:`atomic_path` for files a
library writes itself (``DataFrame.to_parquet``, ``zipfile``), and
:func:`link_or_copy` for putting an existing file in place.

Files nbops can rebuild from the record (report pages, caches) are written with
``durable=False``: still atomic, but not fsynced (each fsync costs milliseconds
of a build's wall time, and only protects against losing power, after which
``nbops report`` rewrites the pages and a cache is rebuilt).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def fsync_dir(folder: Path) -> None:
    """Make a rename or new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path, mode: int = 0o644, durable: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` on success.

    Use it for files written by a library that wants a path::

        with atomic_path(out) as tmp:
            frame.to_parquet(tmp)

    On a clean exit the file is fsynced, given ``mode``, renamed over ``path``
    and the folder fsynced (no fsync when ``durable`` is false); on an exception
    it is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix="-" + path.name)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644,
                       durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (and durably, unless ``durable`` is false)."""
    with atomic_path(path, mode, durable) as tmp:
        tmp.write_bytes(data)


def link_or_copy(source: Path, dest: Path) -> None:
    """Put ``source``'s content at ``dest`` atomically: a hard link, or a copy across devices.

    Only for destinations nothing writes to in place (a hard link shares the file).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp-{os.getpid()}-{dest.name}")
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def dumps_json(data: Any) -> str:
    """Serialise ``data`` the way every nbops JSON file is written (stable, readable)."""
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_json(path: Path, data: Any, durable: bool = True) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_text(path, dumps_json(data), durable)
