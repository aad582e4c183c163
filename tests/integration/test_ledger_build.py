"""A plain ``ploomber build`` records runs: full, up to date, one edit, partial."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import BIN, build, env, make_project, manifests, nbops

from nbops.core._project import Project
from nbops.core._schema import schema_errors
from nbops.core._store import ContentStore
from nbops.runs import list_runs
from nbops.runs._diff import diff_runs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("ledger"))
    build(root)
    build(root)
    evaluate = root / "notebooks" / "evaluate.py"
    evaluate.write_text(evaluate.read_text().replace("mean / 10", "mean / 5"))
    build(root)
    build(root, "--partially", "train")
    return {"root": root, "runs": manifests(root)}


def test_every_build_is_a_valid_sealed_run(ledger) -> None:
    runs = ledger["runs"]
    assert len(runs) == 4
    assert all(m["status"] == "succeeded" for m in runs)
    assert all(schema_errors(m, "manifest") == [] for m in runs)
    assert runs[0]["command"][:2] == ["ploomber", "build"]
    verified = nbops(ledger["root"], "verify", "--all")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count(": OK") == 4


def test_first_run_executes_and_stores_everything(ledger) -> None:
    first = ledger["runs"][0]
    root: Path = ledger["root"]
    assert {t["status"] for t in first["tasks"].values()} == {"executed"}
    assert first["metrics"] == {"train_mean": pytest.approx(first["metrics"]["train_mean"]),
                                "score": first["metrics"]["score"], "n_chars": 10}
    store = ContentStore(Project(root).store_dir)
    for task in first["tasks"].values():
        assert task["produced_by"] == first["run_id"]
        assert task["duration_s"] > 0
        notebook = root / "reports" / "runs" / first["run_id"] / task["notebook"]["path"]
        assert notebook.stat().st_ino == store.path_for(task["notebook"]["hash"]).stat().st_ino
        for product in task["products"].values():
            assert store.has(product["hash"]) and product["metadata_hash"]
    model = first["tasks"]["train"]["artifacts"][0]
    assert model["path"] == ".nbops/products/model.txt" and store.has(model["hash"])
    provenance = first["provenance"]
    assert provenance["git"]["commit"] and provenance["git"]["dirty"] is False
    assert provenance["inputs"] == {"input.csv": provenance["inputs"]["input.csv"]}
    assert store.has(provenance["inputs"]["input.csv"])  # kept for nbops reproduce
    assert provenance["seeds"] == {"env.seed": 7, "make_data.seed": 7}
    assert "pandas" in provenance["packages"] or "ploomber" in provenance["packages"]


def test_second_build_reuses_everything_and_adds_no_bytes(ledger) -> None:
    first, second = ledger["runs"][:2]
    assert {t["status"] for t in second["tasks"].values()} == {"skipped"}
    assert all(t["produced_by"] == first["run_id"] for t in second["tasks"].values())
    assert second["store"] == {"objects_added": 0, "bytes_added": 0}
    for name, task in second["tasks"].items():
        assert task["notebook"]["hash"] == first["tasks"][name]["notebook"]["hash"]
    assert second["metrics"] == first["metrics"]


def test_editing_one_notebook_reexecutes_only_it_and_diff_says_so(ledger) -> None:
    first, second, third = ledger["runs"][:3]
    statuses = {name: t["status"] for name, t in third["tasks"].items()}
    assert statuses == {"make_data": "skipped", "train": "skipped", "evaluate": "executed"}
    assert third["provenance"]["git"]["dirty"] is True
    assert third["provenance"]["git"]["diff_stored"] is True
    assert third["metrics"]["score"] == pytest.approx(2 * first["metrics"]["score"])
    diff = diff_runs(second, third)
    assert diff["executed_in_b"] == ["evaluate"]
    assert list(diff["sources"]) == ["evaluate"]
    assert diff["metrics"]["score"]["delta"] == pytest.approx(first["metrics"]["score"])
    text = nbops(ledger["root"], "diff", second["run_id"][:20], third["run_id"][:20]).stdout
    assert "re-executed in" in text and "evaluate" in text


def test_partial_build_records_only_the_target_lineage(ledger) -> None:
    partial = ledger["runs"][3]
    assert partial["build"] == {"force": False, "partially": "train",
                                "tasks_in_dag": ["make_data", "train"],
                                "pipeline": "pipeline.yaml", "env_file": "env.yaml"}
    assert list(partial["provenance"]["config"]) == ["pipeline.yaml", "env.yaml"]
    assert {t["status"] for t in partial["tasks"].values()} == {"skipped"}


def test_secrets_never_reach_the_run_folder(ledger) -> None:
    first = ledger["runs"][0]
    assert first["params"]["make_data"]["api_token"] == "***redacted***"
    assert first["env"]["api_token"] == "***redacted***"
    for path in (ledger["root"] / "reports").rglob("*"):
        if path.is_file():
            assert b"not-a-real-token" not in path.read_bytes(), path


def test_cli_lists_and_shows_runs(ledger) -> None:
    listing = list_runs(Project(ledger["root"]))
    assert [r["run_id"] for r in listing] == [m["run_id"] for m in ledger["runs"]]
    assert [(r["executed"], r["skipped"]) for r in listing] == [(3, 0), (0, 3), (1, 2), (0, 2)]
    table = nbops(ledger["root"], "runs").stdout
    assert "succeeded" in table and "score=" in table
    assert len(table.strip().splitlines()) == 5


def test_rendering_without_building_records_nothing(ledger) -> None:
    root: Path = ledger["root"]
    before = sorted((root / "reports" / "runs").iterdir())
    done = subprocess.run([str(BIN / "ploomber"), "status"], cwd=root, env=env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted((root / "reports" / "runs").iterdir()) == before


def test_checkout_restores_an_older_runs_products_as_up_to_date(ledger) -> None:
    root: Path = ledger["root"]
    first = ledger["runs"][0]
    evaluate = root / "notebooks" / "evaluate.py"
    evaluate.write_text(evaluate.read_text().replace("mean / 5", "mean / 10"))  # sources as run 1
    done = nbops(root, "checkout", first["run_id"])
    assert done.returncode == 0, done.stderr
    nb = root / ".nbops" / "products" / "evaluate.ipynb"
    from nbops.core._hashing import hash_file

    assert hash_file(nb) == first["tasks"]["evaluate"]["products"]["nb"]["hash"]
    build(root)
    latest = manifests(root)[-1]
    assert {t["status"] for t in latest["tasks"].values()} == {"skipped"}
    assert latest["metrics"] == first["metrics"]
