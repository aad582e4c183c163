"""Where report files live, and safe file names and hrefs for task pages.

Task pages are ``html/<task>.html`` (ARCHITECTURE.md). A task name that is not
a plain file name (anything beyond letters, digits, ``.``, ``_``, ``-``) gets
a slug plus a short hash instead, so no name can escape the folder or collide.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def page_stem(task: str) -> str:
    """File stem of a task's HTML page."""
    if _PLAIN.fullmatch(task) and not task.endswith("."):
        return task
    slug = _UNSAFE.sub("-", task).strip("-.")[:40] or "task"
    digest = hashlib.sha256(task.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def task_page(run_dir: Path, task: str) -> Path:
    """``<run_dir>/html/<task>.html``."""
    return Path(run_dir) / "html" / f"{page_stem(task)}.html"


def task_href(task: str) -> str:
    """Link from the run page to the task's HTML page."""
    return "html/" + quote(page_stem(task) + ".html")


def rel_href(path: str) -> str:
    """URL-encode a relative path recorded in a manifest (keeps ``/``)."""
    return quote(path, safe="/")
