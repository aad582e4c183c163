"""What a run was made from: git state, interpreter, packages, sources, inputs, seeds.

Everything here is cheap (a few ``git`` calls and ``importlib.metadata``), so
it runs on every build. The uncommitted diff itself is kept in the content
store (up to :data:`MAX_DIFF_BYTES`) so a run can be reproduced later.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nbops.contracts import GitRecord
from nbops.core import ContentStore, HashCache, hash_bytes, json_strings

MAX_DIFF_BYTES = 20 << 20
LOCK_FILES = ("requirements.lock", "uv.lock", "poetry.lock", "environment.lock.yml")
logger = logging.getLogger("nbops")


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=20,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


#: git pathspecs: the whole repository but nbops' own state and output in this project
#: (``.nbops/``: the registry a build or promotion rewrites, remote.yaml; ``reports/``),
#: so that what nbops writes never makes a run look made from uncommitted changes.
NOT_NBOPS_OWN = (":/", ":(exclude).nbops", ":(exclude)reports")


def git_state(root: Path, store: ContentStore | None) -> GitRecord:
    """Commit, branch, dirty flag and the uncommitted diff (hash, size, stored or not)."""
    state: GitRecord = {"commit": None, "branch": None, "dirty": None, "diff_hash": None}
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return state
    state["commit"] = commit.decode().strip()
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    state["branch"] = branch.decode().strip() if branch else None
    diff = _git(root, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--",
                *NOT_NBOPS_OWN)
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--",
                  *NOT_NBOPS_OWN)
    untracked = [line[3:] for line in (status or b"").decode(errors="replace").splitlines()
                 if line.startswith("??")]
    state["dirty"] = bool(diff) or bool(untracked)
    state["untracked"] = untracked[:200]
    if diff:
        state["diff_hash"] = hash_bytes(diff)
        state["diff_size"] = len(diff)
        stored = store is not None and len(diff) <= MAX_DIFF_BYTES
        if stored and store is not None:
            store.put_bytes(diff)
        state["diff_stored"] = stored
    return state


def installed_packages() -> dict[str, str]:
    """Every distribution importable from ``sys.path``: normalised name → version.

    Read from the ``<name>-<version>.dist-info`` folder names (as pip lists
    them), which takes a millisecond; parsing every METADATA file through
    ``importlib.metadata`` takes ~0.2-0.6 s here. A folder whose name does
    not carry a version falls back to ``importlib.metadata``.
    """
    packages: dict[str, str] = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        for item in os.scandir(entry):
            name = item.name
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist, _, version = name.rsplit(".", 1)[0].partition("-")
            if name.endswith(".egg-info"):
                version = version.split("-py")[0]
            key = dist.lower().replace("_", "-").replace(".", "-")
            if key in packages:
                continue  # the first on sys.path wins, as for imports
            if not version:
                try:
                    version = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    continue
            packages[key] = version
    return dict(sorted(packages.items()))


def lock_hash(root: Path) -> str | None:
    """Digest of the project's dependency lock file, if it has one."""
    for name in LOCK_FILES:
        path = root / name
        if path.is_file():
            return hash_bytes(path.read_bytes())
    return None


def seeds(params: Mapping[str, Mapping[str, object]],
          env: Mapping[str, object]) -> dict[str, int | None]:
    """Every parameter or env value whose name contains ``seed``."""
    found: dict[str, int | None] = {}

    def visit(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                visit(f"{prefix}.{key}" if prefix else str(key), value)
        elif "seed" in prefix.rsplit(".", 1)[-1].lower():
            found[prefix] = node if isinstance(node, int) and not isinstance(node, bool) else None

    visit("env", env)
    for task, task_params in params.items():
        visit(task, task_params)
    return found


def input_hashes(root: Path, params: Mapping[str, Mapping[str, object]],
                 env: Mapping[str, object],
                 cache: HashCache, relative: Any, exclude: Iterable[Path] = (),
                 store: ContentStore | None = None) -> dict[str, str | None]:
    """Digests of input files named by parameters or env values (``data.path`` and the like).

    A string value counts as an input when it names an existing file that is
    not one of the pipeline's own products. With ``store``, each input is also
    kept in the content store (once per content) so the run can be reproduced.
    """
    excluded = {p.resolve() for p in exclude}
    found: dict[str, str | None] = {}

    for node in (*json_strings(env), *json_strings(params)):
        if not 0 < len(node) < 4096 or "\n" in node:
            continue
        candidate = Path(node) if Path(node).is_absolute() else root / node
        try:
            if candidate.is_file() and candidate.resolve() not in excluded:
                digest = cache.hash(candidate)[0]
                if store is not None:
                    store.put_file(candidate, digest)
                found[relative(candidate)] = digest
        except OSError:
            continue
    return dict(sorted(found.items()))


def interpreter() -> tuple[str, str]:
    """``(python version, platform string)``."""
    return sys.version.split()[0], platform.platform()


def config_hashes(root: Path, names: Iterable[str] = ("pipeline.yaml", "env.yaml")
                  ) -> dict[str, str | None]:
    """Digests of the build's pipeline and env files (paths relative to ``root``)."""
    return {name: (hash_bytes((root / name).read_bytes()) if (root / name).is_file() else None)
            for name in names}
