"""The registry commands, run through ``nbops.cli.main.main`` as a user would."""

import json
import os
import shutil
import stat

import pandas as pd
import pytest
from registry_helpers import register_two_versions

from nbops.cli.main import main
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file


def run_cli(capsys, *argv):
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def template(tmp_path_factory, datasets):
    """A project with two registered versions, built once per module."""
    return register_two_versions(tmp_path_factory.mktemp("template"), datasets)


@pytest.fixture
def two_versions(template, tmp_path, monkeypatch):
    """A private copy of the template for one test."""
    root = tmp_path / "project"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    return root


def test_models_table_and_json(two_versions, capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("MODEL")
    assert "@champion" in lines[2] and lines[2].split()[1] == "2"
    code, out, _ = run_cli(capsys, "models", "churn", "--json")
    data = json.loads(out)
    assert data["models"]["churn"]["aliases"] == {"champion": 2}
    code, _, err = run_cli(capsys, "models", "nope")
    assert code == 1 and "no model named 'nope'" in err


def test_promote_and_rollback(two_versions, capsys):
    code, _, err = run_cli(capsys, "promote", "churn", "1")
    assert code == 2 and "--reason" in err
    code, out, _ = run_cli(capsys, "promote", "churn", "1", "--reason", "v2 misbehaves in prod")
    assert code == 0 and "churn@champion -> version 1 (was version 2)" in out
    code, out, _ = run_cli(capsys, "rollback", "churn")
    assert code == 0 and "version 1 -> version 2" in out
    code, out, _ = run_cli(capsys, "rollback", "churn")
    assert code == 0 and "version 2 -> version 1" in out
    history = registry_file.read(two_versions)["models"]["churn"]["history"]
    assert history[2]["reason"] == "v2 misbehaves in prod"
    assert history[2]["by"]["command"][-2:] == ["--reason", "v2 misbehaves in prod"]
    assert [m["action"] for m in history] == ["promote", "promote", "promote", "rollback",
                                              "rollback"]
    code, _, err = run_cli(capsys, "rollback", "churn")
    assert code == 1 and "no earlier version to roll back to" in err


def test_predict_csv_and_parquet(two_versions, datasets, capsys, tmp_path):
    _, test = datasets
    source = tmp_path / "batch.csv"
    test.drop(columns=["churned"]).to_csv(source, index=False)
    code, out, err = run_cli(capsys, "predict", "churn@champion", str(source), "-o",
                             str(tmp_path / "scores.parquet"))
    assert code == 0, err
    scored = pd.read_parquet(tmp_path / "scores.parquet")
    assert len(scored) == len(test) and {"score", "prediction", "customer_id"} <= set(scored)
    assert scored["score"].between(0, 1).all()
    model = artifacts.load_verified(two_versions, registry_file.read(two_versions)["models"]
                                    ["churn"]["versions"][1], "v2")
    expected = model.predict_proba(test[["tenure", "charges", "plan"]])[:, 1]
    assert scored["score"].to_numpy() == pytest.approx(expected)

    test.to_parquet(tmp_path / "batch.parquet")
    code, out, _ = run_cli(capsys, "predict", "churn:1", str(tmp_path / "batch.parquet"), "-o",
                           str(tmp_path / "v1.csv"))
    assert code == 0 and "with churn:1" in out
    assert len(pd.read_csv(tmp_path / "v1.csv")) == len(test)


def test_predict_bad_input_names_the_columns(two_versions, datasets, capsys, tmp_path):
    _, test = datasets
    bad = test.drop(columns=["plan"]).assign(charges="expensive")
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code, _, err = run_cli(capsys, "predict", "churn", str(tmp_path / "bad.csv"), "-o",
                           str(tmp_path / "out.csv"))
    assert code == 1
    assert "missing column(s): 'plan'" in err
    assert "'charges' should be numeric" in err and "'expensive'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_predict_refuses_a_tampered_model(two_versions, datasets, capsys, tmp_path):
    record = registry_file.read(two_versions)["models"]["churn"]["versions"][1]
    stored = artifacts.store_of(two_versions).path_for(record["artifact"]["hash"])
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.write_bytes(stored.read_bytes() + b"\0")
    datasets[1].to_csv(tmp_path / "in.csv", index=False)
    code, _, err = run_cli(capsys, "predict", "churn@champion", str(tmp_path / "in.csv"), "-o",
                           str(tmp_path / "out.csv"))
    assert code == 1 and "refusing to load churn:2" in err and "modified or swapped" in err
    assert not (tmp_path / "out.csv").exists()


def _champion_row(root):
    site = (root / "reports" / "index.html").read_text("utf-8")
    return site.split("@champion")[0].rsplit("<tr", 1)[1]


def test_promote_and_rollback_refresh_the_site_and_model_pages(two_versions, capsys):
    """The site and the model pages showed the old champion after a promotion."""
    from nbops.reports import render_site

    render_site(two_versions / "reports")
    assert "churn:2" in _champion_row(two_versions)
    code, _, err = run_cli(capsys, "promote", "churn", "1", "--reason", "v2 misbehaves")
    assert code == 0, err
    assert "churn:1" in _champion_row(two_versions)
    page = (two_versions / "reports" / "models" / "churn-v1.html").read_text("utf-8")
    assert "v2 misbehaves" in page
    code, _, err = run_cli(capsys, "rollback", "churn")
    assert code == 0, err
    assert "churn:2" in _champion_row(two_versions)
    assert "rolled back" in (two_versions / "reports" / "models" / "churn-v2.html").read_text(
        "utf-8")


def test_promote_without_a_site_writes_none(two_versions, capsys):
    code, _, err = run_cli(capsys, "promote", "churn", "1", "--reason", "why")
    assert code == 0, err
    assert not (two_versions / "reports" / "index.html").exists()
