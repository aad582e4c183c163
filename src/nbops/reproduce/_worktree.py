"""A throwaway checkout of the code a run was made with.

The recorded commit is checked out with ``git worktree add --detach`` into a
temporary folder (the user's checkout, index and branches are left alone), and
the run's uncommitted diff, when it had one, is applied on top with
``git apply``. :func:`remove_worktree` deletes the folder and git's
bookkeeping for it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from nbops.core import ReproduceError

logger = logging.getLogger("nbops")


def _git(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise ReproduceError(
            "git is not installed, and reproducing a run checks out its recorded commit",
            "install git and try again",
        ) from exc


def _message(result: subprocess.CompletedProcess[bytes]) -> str:
    text = (result.stderr or result.stdout or b"").decode("utf-8", "replace").strip()
    return text.splitlines()[-1] if text else f"exit code {result.returncode}"


def repository_root(path: Path) -> Path:
    """The top folder of the git repository holding ``path``.

    Raises:
        ReproduceError: ``path`` is not inside a git repository.
    """
    result = _git(["rev-parse", "--show-toplevel"], cwd=path)
    if result.returncode != 0:
        raise ReproduceError(
            f"{path} is not inside a git repository, so the run's commit cannot be checked out",
            "run nbops reproduce from the project's git checkout",
        )
    return Path(result.stdout.decode().strip())


def has_commit(repo: Path, commit: str) -> bool:
    """Whether ``commit`` exists in the repository at ``repo``."""
    result = _git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=repo)
    return result.returncode == 0


def add_worktree(repo: Path, commit: str, destination: Path) -> Path:
    """Check out ``commit`` of ``repo`` into the new folder ``destination``.

    Raises:
        ReproduceError: the commit is unknown or git refuses.
    """
    if not has_commit(repo, commit):
        raise ReproduceError(
            f"commit {commit} recorded by the run is not in the repository at {repo}",
            "fetch the branch that holds it (git fetch --all) and try again",
        )
    result = _git(["worktree", "add", "--detach", "--quiet", str(destination), commit], cwd=repo)
    if result.returncode != 0:
        raise ReproduceError(
            f"git could not check out commit {commit} into {destination}: {_message(result)}",
            "check that the folder is writable and git works in the project",
        )
    return destination


def apply_diff(worktree: Path, diff: bytes) -> None:
    """Apply a captured ``git diff --binary`` to the checkout at ``worktree``.

    Raises:
        ReproduceError: the diff does not apply to the recorded commit.
    """
    if not diff.strip():
        return
    result = _git(["apply", "--binary", "--whitespace=nowarn", "-"], cwd=worktree, stdin=diff)
    if result.returncode != 0:
        raise ReproduceError(
            f"the run's captured uncommitted diff does not apply to its commit: {_message(result)}",
            "check that the recorded commit was not rewritten (rebase, amend) since the run",
        )


def remove_worktree(repo: Path, worktree: Path) -> None:
    """Delete the checkout at ``worktree`` and git's record of it."""
    result = _git(["worktree", "remove", "--force", str(worktree)], cwd=repo)
    if result.returncode != 0:
        logger.warning(
            "nbops: git worktree remove failed (%s); deleting the folder", _message(result)
        )
    if worktree.exists():
        try:
            shutil.rmtree(worktree)
        except OSError as exc:
            logger.warning("nbops: could not delete the scratch checkout %s (%s)", worktree, exc)
    _git(["worktree", "prune"], cwd=repo)
