"""Nothing secret leaves the machine: every object ``nbops push`` puts in a real bucket
(SeaweedFS) is grepped for every planted secret, and a teammate's clone still pulls
and verifies the run.

Planted: a secret-named parameter (``api_token``), a password inside a URL value
(``db_url``), both printed by the notebook, and an uncommitted env.yaml change
carrying a secret (``warehouse_password``, only in the stored git diff). One build
per module.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import BIN, build, env, make_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "tok-PLANTED-param-7f3a9c"
URL_PASSWORD = "URLPASS-planted-91b2"
ENV_DIFF_SECRET = "ENVDIFF-planted-55d0e"
SECRETS = (TOKEN, URL_PASSWORD, ENV_DIFF_SECRET)


def nbops(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "nbops"), *args], cwd=root, env=env(**extra),
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger fixture with the three secrets planted (uncommitted), built once."""
    root = make_project(tmp_path_factory.mktemp("secrets"))
    text = (root / "env.yaml").read_text().replace("api_token: not-a-real-token",
                                                   f"api_token: {TOKEN}")
    text += (f"db_url: postgresql://analyst:{URL_PASSWORD}@db.internal:5432/prod\n"
             f"warehouse_password: {ENV_DIFF_SECRET}\n")
    (root / "env.yaml").write_text(text)
    pipeline = (root / "pipeline.yaml").read_text().replace(
        "      sleep_s: '{{sleep_s}}'\n",
        "      sleep_s: '{{sleep_s}}'\n      db_url: '{{db_url}}'\n", 1)
    (root / "pipeline.yaml").write_text(pipeline)
    notebook = (root / "notebooks" / "make_data.py").read_text()
    notebook = notebook.replace("sleep_s = 0\n", "sleep_s = 0\ndb_url = None\n", 1)
    notebook += '\n# %%\nprint("connecting to", db_url)\nprint("token", api_token)\n'
    (root / "notebooks" / "make_data.py").write_text(notebook)
    build(root)
    return root


@pytest.fixture(scope="module")
def pushed(built: Path, seaweedfs: Any) -> dict[str, str]:
    remote = dict(seaweedfs.env(NBOPS_REMOTE=f"s3://{seaweedfs.new_bucket()}/team"))
    done = nbops(built, "push", "--json", **remote)
    assert done.returncode == 0, done.stderr
    remote["result"] = done.stdout
    return remote


def _bucket_objects(seaweedfs: Any, url: str) -> dict[str, bytes]:


    fs = seaweedfs.filesystem()
    place = url.removeprefix("s3://")
    return {key: fs.cat_file(key) for key in fs.find(place)}


def test_the_build_really_holds_each_secret_locally(built: Path) -> None:
    """The control: without redaction at push, each secret would be in what push sends."""
    store = b"".join(p.read_bytes() for p in (built / ".nbops" / "store").rglob("*")
                     if p.is_file())
    for secret in SECRETS:
        assert secret.encode() in store, secret


def test_no_object_in_the_bucket_holds_a_planted_secret(pushed: dict[str, str],
                                                       seaweedfs: Any) -> None:
    objects = _bucket_objects(seaweedfs, pushed["NBOPS_REMOTE"])
    assert len(objects) > 10  # the run went up: manifest, pages, notebooks, products
    leaks = {secret: sorted(key for key, data in objects.items() if secret.encode() in data)
             for secret in SECRETS}
    assert not any(leaks.values()), {s: len(keys) for s, keys in leaks.items()}
    result = json.loads(pushed["result"])
    assert result["objects_withheld"] >= 3  # raw notebook, Ploomber metadata, git diff


def test_a_teammate_pulls_and_verifies_what_was_uploaded(built: Path, pushed: dict[str, str],
                                                         tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(built), str(clone)], check=True)
    remote = {k: v for k, v in pushed.items() if k != "result"}
    done = nbops(clone, "pull", **remote)
    assert done.returncode == 0, done.stderr
    done = nbops(clone, "verify", "--json", **remote)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    runs = report if isinstance(report, list) else [report]
    assert all(r["ok"] for r in runs), runs
    withheld = [n for r in runs for n in r.get("withheld", [])]
    assert any("git diff" in w["what"] for w in withheld), runs
    assert any("metadata" in w["what"] for w in withheld), runs
    shown = nbops(clone, "show", "latest", **remote)
    assert shown.returncode == 0, shown.stderr
    assert not [s for s in SECRETS if s in shown.stdout]


def test_reproduce_on_the_clone_says_why_the_diff_is_not_there(
        built: Path, pushed: dict[str, str], tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(built), str(clone)], check=True)
    remote = {k: v for k, v in pushed.items() if k != "result"}
    assert nbops(clone, "pull", **remote).returncode == 0
    # pushed without the team key: pulled unverified, so reproducing it is said aloud
    done = nbops(clone, "reproduce", "latest", "--trust-unsigned", **remote)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "uncommitted diff held a secret" in lines[0]
    assert not [s for s in SECRETS if s in done.stdout + done.stderr]


def test_checkout_on_the_clone_names_what_was_kept_back(
        built: Path, pushed: dict[str, str], tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(built), str(clone)], check=True)
    remote = {k: v for k, v in pushed.items() if k != "result"}
    assert nbops(clone, "pull", **remote).returncode == 0
    done = nbops(clone, "checkout", "latest", **remote)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "held a secret, so the push that shared the run kept it back" in lines[0]
    assert not (clone / ".nbops" / "products").exists()  # nothing half-restored
