"""Compiled report templates kept between builds (Jinja2's bytecode cache).

Every build is a new Python process, and compiling the page templates (nbops'
own and nbconvert's notebook templates) was most of the CPU time nbops added
to a build. Jinja2 compiles a template to Python code once and can keep that
code in a :class:`jinja2.FileSystemBytecodeCache`; the next process loads it
instead of parsing the template again.

The cache lives in ``$XDG_CACHE_HOME/nbops/templates/`` (``~/.cache/...`` by
default), one folder per Jinja2 version and environment (their settings change
the compiled code, which Jinja2's cache key does not include). Jinja2 checks
each entry against a checksum of the template's source and the Python version,
so an edited template or an upgraded interpreter is compiled afresh. The cache
only saves time: a folder that cannot be created, read or written (a read-only
home, a full disk) means the templates are compiled as before, never a failed page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket

log = logging.getLogger("nbops")

#: Set to a folder to keep compiled templates there, or to an empty string to not keep them.
CACHE_DIR_ENV = "NBOPS_TEMPLATE_CACHE"


class _TolerantCache(FileSystemBytecodeCache):
    """A bytecode cache whose failures cost compile time only."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception as exc:  # a damaged entry: compile, then overwrite it
            log.debug("nbops: template cache entry unreadable (%s); compiling", exc)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("nbops: template cache not written (%s)", exc)


def cache_root() -> Path | None:
    """The folder of every template cache, or ``None`` when caching is turned off."""
    from nbops.core import user_cache_folder

    return user_cache_folder("templates", CACHE_DIR_ENV)


def bytecode_cache(environment_name: str) -> Any:
    """A bytecode cache for one Jinja2 environment (``pages``, ``notebook``), or ``None``."""
    import jinja2

    root = cache_root()
    if root is None:
        return None
    folder = root / f"jinja2-{jinja2.__version__}" / environment_name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        log.debug("nbops: no template cache at %s (%s)", folder, exc)
        return None
    return _TolerantCache(str(folder), "%s.cache")
