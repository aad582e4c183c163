"""Slots: private working folders in which trials build side by side.

Two builds in one project would overwrite each other's working products (and
the project lock makes the second wait). A sweep with ``--workers N`` gives each
worker a slot, ``.nbops/sweeps/<name>/slots/<k>/<project name>/``, that looks
like the project to Ploomber and to the ledger:

* the project's files (notebooks, sources, pipeline and env files, data) are
  hard links to the originals (copies across devices), refreshed each time the
  sweep starts: Ploomber resolves symbolic links, so a linked ``pipeline.yaml``
  would make it build in the project itself;
* ``.nbops/products/``, the hash cache and the build lock are the slot's own:
  no two trials ever write the same working products;
* ``.nbops/store``, ``.nbops/registry`` and ``reports/`` are symbolic links to the
  project's (nothing resolves those): products land in the one content store and
  runs in the one ledger (manifests are written in run folders of their own; index
  lines are single appends); trials only read the registry (they build with
  ``registry.promotion: never``).

A slot starts with no products: its first trial restores unchanged upstream
products from the store (verified) like any trial, so the upstream steps still
execute once per sweep.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nbops.core import Project, link_or_copy

#: Top-level entries of a project a slot never links: state, records, VCS, environments.
PRIVATE = {".nbops", "reports", ".git", ".venv", "venv", ".ipynb_checkpoints", "__pycache__"}


def _symlink(target: Path, link: Path) -> None:
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(target, target_is_directory=True)


def _mirror(source: Path, dest: Path) -> None:
    """Make ``dest`` hold hard links to ``source``'s files (a fresh tree each time)."""
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)
    if source.is_dir():
        shutil.copytree(source, dest, symlinks=True,
                        ignore=shutil.ignore_patterns(*PRIVATE),
                        copy_function=lambda src, dst: link_or_copy(Path(src), Path(dst)))
    else:
        link_or_copy(source, dest)


def slot_root(project: Project, sweep_state: Path, number: int) -> Path:
    """Create (or refresh) slot ``number`` and return its project folder."""
    root = sweep_state / "slots" / str(number) / project.name
    root.mkdir(parents=True, exist_ok=True)
    wanted = {entry.name for entry in project.root.iterdir() if entry.name not in PRIVATE}
    for entry in root.iterdir():  # gone from the project since the slot was made
        if entry.name not in wanted and entry.name not in {".nbops", "reports"}:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    for name in sorted(wanted):
        _mirror(project.root / name, root / name)
    state = root / ".nbops"
    state.mkdir(exist_ok=True)
    for shared in (project.store_dir, project.registry_dir, project.reports_dir):
        shared.mkdir(parents=True, exist_ok=True)
    _symlink(project.store_dir, state / project.store_dir.name)
    _symlink(project.registry_dir, state / project.registry_dir.name)
    _symlink(project.reports_dir, root / project.reports_dir.name)
    return root
