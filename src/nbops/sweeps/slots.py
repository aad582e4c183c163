"""Slots: private working folders in which trials build side by side.

Two builds in one project would overwrite each other's working products (and
the project lock makes the second wait). A sweep with ``--workers N`` gives each
worker a slot, ``.nbops/sweeps/<name>/slots/<k>/<project name>/``, that looks
like the project to Ploomber and to the ledger:

* every top-level entry of the project (notebooks, sources, pipeline and env
  files, data) is a symbolic link to the original, so a slot builds exactly the
  project's code and inputs;
* ``.nbops/products/``, the hash cache and the build lock are the slot's own:
  no two trials ever write the same working products;
* ``.nbops/store`` and ``reports/`` link to the project's, so products land in
  the one content store and runs in the one ledger (manifests are written in
  run folders of their own; index lines are single appends);
* ``.nbops/registry`` links to the project's registry, read-only for trials
  (they build with ``registry.promotion: never``).

A slot starts with no products: its first trial restores unchanged upstream
products from the store (verified) like any trial, so the upstream steps still
execute once per sweep.
"""

from __future__ import annotations

import os
from pathlib import Path

from nbops.core.project import Project

#: Top-level entries of a project a slot never links: state, records, VCS, environments.
PRIVATE = {".nbops", "reports", ".git", ".venv", "venv", ".ipynb_checkpoints", "__pycache__"}


def _link(target: Path, link: Path) -> None:
    if link.is_symlink() or link.exists():
        if link.is_symlink() and os.readlink(link) == str(target):
            return
        link.unlink()
    link.symlink_to(target, target_is_directory=target.is_dir())


def slot_root(project: Project, sweep_state: Path, number: int) -> Path:
    """Create (or refresh) slot ``number`` and return its project folder."""
    root = sweep_state / "slots" / str(number) / project.name
    root.mkdir(parents=True, exist_ok=True)
    for entry in project.root.iterdir():
        if entry.name not in PRIVATE:
            _link(entry, root / entry.name)
    for entry in root.iterdir():  # the project lost a file since the slot was made
        if entry.is_symlink() and not (project.root / entry.name).exists() and \
                entry.name not in {"reports"}:
            entry.unlink()
    state = root / ".nbops"
    state.mkdir(exist_ok=True)
    project.store_dir.mkdir(parents=True, exist_ok=True)
    project.registry_dir.mkdir(parents=True, exist_ok=True)
    project.reports_dir.mkdir(parents=True, exist_ok=True)
    _link(project.store_dir, state / project.store_dir.name)
    _link(project.registry_dir, state / project.registry_dir.name)
    _link(project.reports_dir, root / project.reports_dir.name)
    return root
