"""The reference pipeline reproduces bit for bit, checked by ``nbops reproduce``.

The project (pipeline.yaml, env.yaml, notebooks, ``src/churn``, the lock) is
committed into a temporary git repository and built once, on a small sample;
``nbops reproduce`` then rebuilds it in a scratch worktree and must report
``reproduced``: every data and model product bit-identical, every notebook
equal on its outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def reproduced(
    tmp_path_factory: pytest.TempPathFactory,
    copy_project: Callable[[Path], Path],
    run_build: Callable[..., subprocess.CompletedProcess[str]],
) -> tuple[Path, dict[str, Any], dict[str, Any], subprocess.CompletedProcess[str]]:
    repo = copy_project(tmp_path_factory.mktemp("reference") / "project")
    shutil.copytree(
        ROOT / "src" / "churn", repo / "src" / "churn", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "requirements.lock", repo / "requirements.lock")
    (repo / ".gitignore").write_text(".nbops/*\nreports/*\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "user.name", "test")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "reference project")

    run_build(repo)  # the shared small sample (--env--data--rows), gates still pass
    (run_id,) = [p.name for p in (repo / "reports" / "runs").iterdir() if p.is_dir()]
    manifest = json.loads((repo / "reports" / "runs" / run_id / "manifest.json").read_text())

    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    env["PLOOMBER_STATS_ENABLED"] = "false"
    done = subprocess.run(
        [str(BIN / "nbops"), "reproduce", run_id, "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    result = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return repo, manifest, result, done


def test_reference_run_reproduces_bit_identical(reproduced: Any) -> None:
    repo, manifest, result, done = reproduced
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-4000:]
    assert result["verdict"] == "reproduced", result.get("first_diverged")
    assert [t["task"] for t in result["tasks"]] == [
        "ingest",
        "validate",
        "features",
        "train",
        "evaluate",
    ]
    assert all(t["outcome"] == "identical" for t in result["tasks"])
    (override,) = result["parameters"]["overrides"]  # the sample size given on the command line
    assert override.startswith("data.rows=")


def test_every_data_and_model_product_was_compared_by_hash(reproduced: Any) -> None:
    _, manifest, result, _ = reproduced
    compared = {
        (t["task"], c["what"][len("product:") :]): c
        for t in result["tasks"]
        for c in t["checks"]
        if c["what"].startswith("product:")
    }
    for task, entry in manifest["tasks"].items():
        for key, product in entry["products"].items():
            check = compared[(task, key)]
            assert check["equal"], (task, key)
            if not product["path"].endswith(".ipynb"):
                assert check["recorded"] == check["reproduced"] == product["hash"]
    assert ("train", "model") in compared and ("train", "baseline") in compared


def test_the_environment_and_lock_are_named(reproduced: Any) -> None:
    repo, manifest, result, done = reproduced
    assert result["environment"]["identical"] is True
    lock = result["environment"]["lock"]
    assert lock["path"] == "requirements.lock"
    assert lock["recorded_hash"] == manifest["provenance"]["lock_hash"] == lock["commit_hash"]
    assert lock["matches"] is True
    assert "the current requirements.lock matches" in done.stderr
    page = (repo / "reports" / "runs" / manifest["run_id"] / "index.html").read_text()
    assert f"reproductions/{result['id']}.html" in page
