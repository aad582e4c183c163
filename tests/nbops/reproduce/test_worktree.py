"""The scratch checkout: a real git repository, a real worktree, a real diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nbops.core._errors import ReproduceError
from nbops.reproduce import _worktree as worktree


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "a.txt").write_text("one\n")
    (repo / "blob.bin").write_bytes(bytes(range(256)))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_checkout_of_an_older_commit_leaves_the_working_tree_alone(
    repo: Path, tmp_path: Path
) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "second")
    (repo / "a.txt").write_text("uncommitted\n")

    dest = worktree.add_worktree(repo, first, tmp_path / "scratch")
    assert (dest / "a.txt").read_text() == "one\n"
    assert (repo / "a.txt").read_text() == "uncommitted\n"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"

    worktree.remove_worktree(repo, dest)
    assert not dest.exists()
    assert str(dest) not in git(repo, "worktree", "list")


def test_captured_binary_diff_reapplies_on_the_commit(repo: Path, tmp_path: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.txt").write_text("changed\n")
    (repo / "blob.bin").write_bytes(bytes(reversed(range(256))))
    (repo / "new.txt").write_text("added\n")
    git(repo, "add", "new.txt")
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout

    dest = worktree.add_worktree(repo, commit, tmp_path / "scratch")
    worktree.apply_diff(dest, diff)
    for name in ("a.txt", "blob.bin", "new.txt"):
        assert (dest / name).read_bytes() == (repo / name).read_bytes(), name
    worktree.remove_worktree(repo, dest)


def test_a_diff_that_does_not_apply_is_refused_with_the_reason(repo: Path, tmp_path: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    dest = worktree.add_worktree(repo, commit, tmp_path / "scratch")
    bogus = b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-zzz\n+yyy\n"
    with pytest.raises(ReproduceError, match="does not apply"):
        worktree.apply_diff(dest, bogus)
    worktree.remove_worktree(repo, dest)


def test_unknown_commit_and_non_repository_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ReproduceError, match="not in the repository"):
        worktree.add_worktree(repo, "0" * 40, tmp_path / "scratch")
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(ReproduceError, match="not inside a git repository"):
        worktree.repository_root(outside)
