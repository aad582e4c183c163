"""The page of a task that is not a notebook: ``html/<task>.html``.

Python functions, SQL tasks, shell scripts and ``ScriptRunner`` scripts leave
no executed notebook, so their page is built from the run's manifest: the
task's kind (Ploomber's class), status, duration, the real error when it
failed, its parameters (as the ledger recorded them, secrets redacted), its
products with their hashes, and its source file as text. The source is read
from the project only while it still has the hash the run recorded (it is not
kept in the store); credentials in it are masked as in every page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypedDict

from nbops.contracts import FileRecord, Manifest, TaskRecord
from nbops.core import ContentStore, hash_file, is_hash, mask_credentials
from nbops.reports._markup import fmt_duration, page
from nbops.reports._paths import rel_href

#: Sources larger than this are cut on the page (an uploaded data file, a generated SQL).
MAX_SOURCE_CHARS = 64_000


def source_text(project_root: Path, source: FileRecord) -> tuple[str | None, str]:
    """The task's source as the run executed it, and a note when it cannot be shown."""
    relative = source.get("path") or ""
    if not relative:
        return None, "This task has no source file."
    path = (project_root / relative).resolve()
    if not path.is_relative_to(project_root.resolve()) or not path.is_file():
        return None, f"{relative} is no longer in the project."
    if source.get("hash") and hash_file(path) != source["hash"]:
        return None, (f"{relative} has changed since this run (the run recorded "
                      f"{str(source['hash'])[:12]}); it is not shown.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, f"{relative} is not a text file."
    note = ""
    if len(text) > MAX_SOURCE_CHARS:
        text, note = text[:MAX_SOURCE_CHARS], f"Only its first {MAX_SOURCE_CHARS:,} characters."
    return mask_credentials(text), note


def _stored_href(store: ContentStore, digest: Any, page_dir: Path) -> str:
    """A relative link from the page to the stored copy of ``digest``, if it is stored."""
    if not is_hash(digest) or not store.has(digest):
        return ""
    return rel_href(os.path.relpath(store.path_for(digest), page_dir).replace(os.sep, "/"))


class ProductFile(TypedDict):
    """One file of a folder product, linked to its stored copy."""

    name: str
    hash: str
    size: int
    href: str


class ProductRow(TypedDict):
    """One product of a task as a page lists it."""

    key: str
    path: str
    kind: str
    hash: str | None
    size: int | None
    files: list[ProductFile]
    href: str


def products(task: TaskRecord, store: ContentStore, page_dir: Path) -> list[ProductRow]:
    """Each product of ``task``: key, path, kind, hash, size, link to its stored copy, and a
    folder's files (each with its own hash and link)."""
    rows: list[ProductRow] = []
    for key, product in (task.get("products") or {}).items():
        kind = product.get("kind") or "file"
        files: list[ProductFile] = [
            {"name": relative, "hash": item.get("hash"), "size": item.get("size"),
             "href": _stored_href(store, item.get("hash"), page_dir)}
            for relative, item in sorted((product.get("files") or {}).items())]
        rows.append({"key": key, "path": product.get("path"), "kind": kind,
                     "hash": product.get("hash"), "size": product.get("size"), "files": files,
                     "href": "" if kind != "file" else
                     _stored_href(store, product.get("hash"), page_dir)})
    return rows


def task_page_html(manifest: Manifest, name: str, project_root: Path,
                   page_dir: Path) -> str:
    """The complete page of task ``name`` of the run ``manifest`` (``task.html.j2``).

    Args:
        project_root: the folder holding ``reports/`` and ``.nbops/``.
        page_dir: the folder the page is written to (links to stored products).
    """
    from markupsafe import Markup

    from nbops.reports._templates_env import render, render_string

    task = manifest["tasks"][name]
    run_id = manifest["run_id"]
    text, note = source_text(project_root, task.get("source") or {})
    produced = task.get("produced_by")
    body = render(
        "task.html.j2", task=name, kind=task.get("kind") or "task",
        status=task.get("status"), duration=fmt_duration(task.get("duration_s")),
        origin=produced if task.get("status") == "skipped" and produced != run_id else None,
        error=task.get("error"), source=task.get("source") or {}, text=text, note=note,
        params=(manifest.get("params") or {}).get(name) or {},
        upstream=task.get("upstream") or [],
        products=products(task, ContentStore(project_root / ".nbops" / "store"), page_dir))
    header = Markup(render_string(
        '<h1>Task {{ name }}</h1> {{ status|badge }}<nav><a href="../index.html">run '
        '{{ run_id }}</a><a href="../manifest.json">manifest.json</a></nav>',
        name=name, status=task.get("status"), run_id=run_id))
    return page(f"nbops task {name} of run {run_id}", body, header=header)

