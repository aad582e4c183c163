"""``nbops reproduce`` end to end, on real git repositories and real builds.

The fixture pipeline (``tests/notebooks/reproduce_project``) has a seeded step
(``make_data``, reading a data file that is *not* in git) and a deliberately
non-deterministic one (``noisy``, OS randomness scaled by the ``noise``
parameter). One temporary repository is shared by the module:

* run A is made from a dirty tree (uncommitted code change) with
  ``--env--noise 0``; afterwards the tree is cleaned and the data file edited,
  and the reproduction still comes out bit-identical: the captured diff, the
  recorded override and the stored input make it so;
* run B (committed code, noise on) diverges, naming ``noisy``;
* run C declares ``noisy`` non-deterministic in env.yaml and reproduces within
  tolerance;
* a manifest claiming another numpy version has the difference listed, and
  ``--strict`` refuses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURE = Path(__file__).parents[1] / "notebooks" / "reproduce_project"
BIN = Path(sys.executable).parent


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def environment(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env.update(PLOOMBER_STATS_ENABLED="false", PYTHONPATH=str(repo / "src"))
    return env


def build(repo: Path, *args: str) -> dict[str, Any]:
    """``ploomber build`` as a user runs it; returns the new run's manifest."""
    before = set(runs(repo))
    done = subprocess.run(
        [str(BIN / "ploomber"), "build", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment(repo),
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (new,) = set(runs(repo)) - before
    manifest: dict[str, Any] = json.loads(
        (repo / "reports/runs" / new / "manifest.json").read_text()
    )
    return manifest


def runs(repo: Path) -> list[str]:
    folder = repo / "reports" / "runs"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def reproduce(repo: Path, run_id: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "nbops"), "reproduce", run_id, "--json", *flags],
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment(repo),
        timeout=600,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("reproduce") / "project"
    shutil.copytree(FIXTURE, repo)
    with open(repo / ".gitignore", "a") as handle:
        handle.write("data/\n")  # input data is not versioned by git: the store keeps it
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "test")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "fixture project")
    return repo


@pytest.fixture(scope="module")
def dirty_run(repo: Path) -> dict[str, Any]:
    lib = repo / "src" / "fixturelib" / "__init__.py"
    lib.write_text(
        lib.read_text().replace(
            "return sum(values) / len(values)", "return sum(values) / len(values) + 100.0"
        )
    )
    manifest = build(repo, "--env--noise", "0")
    git(repo, "checkout", "--", ".")  # the uncommitted change is gone from the tree
    data = repo / "data" / "input.csv"
    data.write_text(data.read_text() + "99.0\n")  # and the input data changed since
    return manifest


def test_dirty_run_reproduces_bit_identical_from_its_captured_diff(
    repo: Path, dirty_run: dict[str, Any]
) -> None:
    assert dirty_run["provenance"]["git"]["dirty"] is True
    assert dirty_run["metrics"]["mean"] > 50  # the uncommitted +100 offset was in effect
    products_before = sorted((repo / ".nbops" / "products").iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in products_before}

    done = reproduce(repo, dirty_run["run_id"])

    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    result = json.loads(done.stdout)
    assert result["verdict"] == "reproduced"
    assert [(t["task"], t["outcome"]) for t in result["tasks"]] == [
        ("make_data", "identical"),
        ("noisy", "identical"),
    ]
    assert result["code"]["diff_applied"] is True
    assert result["parameters"]["overrides"] == ["noise=0"]
    assert "data/input.csv" in result["inputs"]["restored"]
    checks = {c["what"]: c for c in result["tasks"][0]["checks"]}
    assert checks["product:data"]["equal"] and checks["product:data"]["recorded"].startswith(
        "blake3:"
    )
    assert checks["metric:mean"]["recorded"] == dirty_run["metrics"]["mean"]
    # the project itself was left alone: same products, no scratch worktree, clean tree
    assert {p: p.stat().st_mtime_ns for p in products_before} == stamps
    assert git(repo, "worktree", "list").count("\n") == 1
    assert git(repo, "status", "--porcelain").strip() == ""
    # the record, the report and the manifest link
    run_dir = repo / "reports" / "runs" / dirty_run["run_id"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (item,) = manifest["reproductions"]["items"]
    assert item["verdict"] == "reproduced" and item["id"] == result["id"]
    page = (run_dir / item["report"]).read_text()
    assert "Reproduced: every product is bit-identical" in page
    assert (run_dir / item["record"]).is_file()


@pytest.fixture(scope="module")
def noisy_run(repo: Path, dirty_run: dict[str, Any]) -> dict[str, Any]:
    # --force: Ploomber would reuse make_data's products from the dirty run (it does not
    # see changes to imported code or input files), and the reproduction would rightly
    # diverge there first.
    return build(repo, "--force")


def test_undeclared_nondeterministic_step_diverges_naming_the_task(
    repo: Path, noisy_run: dict[str, Any]
) -> None:
    done = reproduce(repo, noisy_run["run_id"])
    assert done.returncode == 4, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["verdict"] == "diverged"
    assert result["first_diverged"]["task"] == "noisy"
    assert "product estimate" in result["first_diverged"]["reason"]
    outcomes = {t["task"]: t["outcome"] for t in result["tasks"]}
    assert outcomes == {"make_data": "identical", "noisy": "diverged"}
    # for people (and CI logs): the diverged task's two sides, under its line
    text = subprocess.run([str(BIN / "nbops"), "reproduce", noisy_run["run_id"]], cwd=repo,
                          capture_output=True, text=True, env=environment(repo), timeout=600)
    assert text.returncode == 4, text.stderr[-3000:]
    lines = text.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(r"\s+noisy\s+diverged", line))
    assert re.match(r"\s+recorded:\s+blake3:[0-9a-f]{8}", lines[at + 1]), lines
    assert re.match(r"\s+reproduced:\s+blake3:[0-9a-f]{8}", lines[at + 2]), lines
    assert lines[at + 1].split()[-1] != lines[at + 2].split()[-1]


def test_declared_nondeterministic_step_reproduces_within_tolerance(
    repo: Path, noisy_run: dict[str, Any]
) -> None:
    env = repo / "env.yaml"
    env.write_text(
        env.read_text() + "reproduce:\n  nondeterministic:\n"
        "    noisy:\n      tolerance: {estimate: 0.01}\n"
    )
    spec = repo / "pipeline.yaml"
    spec.write_text(
        spec.read_text().replace(
            "on_render: nbops.hooks.on_render",
            "on_render:\n  dotted_path: nbops.hooks.on_render\n  reproduce: '{{reproduce}}'",
        )
    )
    git(repo, "commit", "-q", "-am", "declare noisy non-deterministic")
    manifest = build(repo)

    # the text form this time; the record is read back from the run folder
    done = subprocess.run(
        [str(BIN / "nbops"), "reproduce", manifest["run_id"]],
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment(repo),
        timeout=600,
    )
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Reproduced within tolerance: noisy differed" in done.stdout
    (path,) = (repo / "reports" / "runs" / manifest["run_id"] / "reproductions").glob("*.json")
    result = json.loads(path.read_text())
    assert result["verdict"] == "within-tolerance"
    noisy = next(t for t in result["tasks"] if t["task"] == "noisy")
    assert noisy["outcome"] == "within-tolerance" and noisy["nondeterministic"] is True
    assert "within ±0.01" in noisy["reason"]


def test_environment_differences_are_listed_and_strict_refuses(
    repo: Path, noisy_run: dict[str, Any]
) -> None:
    from nbops.contracts._manifest_file import read_manifest, write_manifest

    path = repo / "reports" / "runs" / noisy_run["run_id"] / "manifest.json"
    manifest = read_manifest(path)
    manifest["provenance"]["packages"]["numpy"] = "1.0.0"
    write_manifest(path, manifest)
    before = runs(repo)

    done = reproduce(repo, noisy_run["run_id"], "--strict")

    assert done.returncode == 1
    assert "numpy: 1.0.0 at run time, now" in done.stderr
    assert "--strict" in done.stderr
    assert runs(repo) == before
    assert git(repo, "worktree", "list").count("\n") == 1
