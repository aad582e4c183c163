"""Model cards through real ``ploomber build``s of the reference pipeline (two slices).

One project, built three times in order (module scope; each step builds on the one
before): its ``model_card.yaml`` lacks an intended use, so the first model is
registered but not promoted and ``nbops promote`` refuses it, until the intended use
is written (with a ``<script>`` in it, which the card page must escape). The card's
numbers are recomputed here from the stored predictions and test files. A second
build on other data registers v2, and ``nbops card churn:1 churn:2 --diff`` names
what changed. A third build adds a slice gate that the model cannot pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from nbops.core import ContentStore, Project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
SCRIPT = "<script>window.__xss=1</script>"
CARD_WITHOUT_USE = """\
owner: retention analytics
out_of_scope_uses: [pricing decisions]
limitations: [synthetic data only]
"""


def _runs(project: Path) -> list[dict]:
    folders = sorted(p for p in (project / "reports" / "runs").iterdir() if p.is_dir())
    return [json.loads((f / "manifest.json").read_text()) for f in folders]


def _registry(project: Path) -> dict:
    return json.loads((project / ".nbops" / "registry" / "models.json").read_text())


def _nbops(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBOPS_")}
    return subprocess.run([str(BIN / "nbops"), *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def _stored(project: Path, manifest: dict, task: str, product: str) -> Path:
    digest = manifest["tasks"][task]["products"][product]["hash"]
    return ContentStore(Project(project).store_dir).path_for(digest)


@pytest.fixture(scope="module")
def project(tmp_path_factory, copy_project, run_build):
    root = copy_project(tmp_path_factory.mktemp("cards") / "project")
    env = (root / "env.yaml").read_text()
    assert "require_card: true" in env and "slices: [contract, senior_citizen]" in env
    # a second version trained on other data must be registered even if it is worse
    (root / "env.yaml").write_text("\n".join(
        line for line in env.splitlines()
        if "no_regression:" not in line and "beats_baseline:" not in line) + "\n")
    (root / "model_card.yaml").write_text(CARD_WITHOUT_USE)
    build = run_build(root)
    return {"root": root, "first": build}


def test_a_model_whose_card_lacks_intended_use_is_registered_but_not_promoted(project):
    root = project["root"]
    [manifest] = _runs(root)
    assert manifest["status"] == "succeeded"
    decision = manifest["registry"]["decision"]
    assert decision.startswith("registered churn:1 but not promoted: churn's model card "
                               "lacks intended_use: write it in model_card.yaml")
    assert _registry(root)["models"]["churn"]["aliases"] == {}
    assert manifest["card"]["missing"] == ["intended_use"]


def test_the_cards_numbers_equal_those_recomputed_from_the_predictions_file(project):
    root = project["root"]
    [manifest] = _runs(root)
    evaluation = manifest["card"]["evaluation"]["content"]
    predictions = pd.read_parquet(_stored(root, manifest, "evaluate", "predictions"))
    test = pd.read_parquet(_stored(root, manifest, "features", "test"))
    y, score = predictions["churn"].to_numpy(), predictions["score"].to_numpy()
    metrics = evaluation["metrics"]
    assert metrics["roc_auc"]["value"] == pytest.approx(roc_auc_score(y, score))
    assert metrics["pr_auc"]["value"] == pytest.approx(average_precision_score(y, score))
    assert metrics["brier"]["value"] == pytest.approx(brier_score_loss(y, score))
    for name, m in metrics.items():
        assert m["low"] < m["value"] < m["high"], name
    assert evaluation["data"]["test"]["rows"] == len(predictions)
    assert evaluation["data"]["test"]["positives"] == int(y.sum())
    # slices, joined by customer id (not by row order)
    joined = predictions.merge(test[["customer_id", "contract", "senior_citizen"]],
                               on="customer_id", validate="one_to_one")
    assert [c["column"] for c in evaluation["slices"]] == ["contract", "senior_citizen"]
    worst = []
    for column in evaluation["slices"]:
        for s in column["slices"]:
            rows = joined[joined[column["column"]].astype(str) == s["value"]]
            assert s["rows"] == len(rows)
            expected = roc_auc_score(rows["churn"], rows["score"])
            assert s["metrics"]["roc_auc"] == pytest.approx(expected)
            worst.append(expected)
    assert manifest["metrics"]["worst_slice_roc_auc"] == pytest.approx(min(worst))
    # the most important input leaves the score lower when shuffled
    assert evaluation["importance"]["features"][0]["mean"] > 0
    assert np.isclose(sum(b["rows"] for b in evaluation["calibration"]["bins"]), len(y))


def test_promotion_is_refused_until_the_intended_use_is_written(project):
    root = project["root"]
    refused = _nbops(root, "promote", "churn", "1", "--reason", "looks good")
    assert refused.returncode != 0
    assert "not promoted: churn's model card lacks intended_use" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _registry(root)["models"]["churn"]["aliases"] == {}
    (root / "model_card.yaml").write_text(
        CARD_WITHOUT_USE + f"intended_use: rank customers for the retention team {SCRIPT}\n")
    accepted = _nbops(root, "promote", "churn", "1", "--reason", "card written")
    assert accepted.returncode == 0, accepted.stderr
    assert _registry(root)["models"]["churn"]["aliases"] == {"champion": 1}
    [manifest] = _runs(root)
    assert manifest["card"]["missing"] == []  # the card records what it was promoted with
    markdown = _nbops(root, "card", "churn@champion")
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("---\nlibrary_name: sklearn\n")
    assert "## Intended use\n\nrank customers for the retention team" in markdown.stdout
    assert "| roc_auc |" in markdown.stdout and "### contract" in markdown.stdout


def test_a_version_trained_on_other_data_and_the_diff(project, run_build):
    root = project["root"]
    (root / "model_card.yaml").write_text(
        CARD_WITHOUT_USE.replace("[synthetic data only]",
                                 "[synthetic data only, tested on 3000 rows]")
        + f"intended_use: rank customers for the retention team {SCRIPT}\n")
    run_build(root, "--env--data--seed", "8", "--env--data--rows", "3000")
    second = _runs(root)[-1]
    assert second["registry"]["version"] == 2, second["registry"]["decision"]
    diff = _nbops(root, "card", "churn:1", "churn:2", "--diff")
    assert diff.returncode == 0, diff.stderr
    text = diff.stdout
    data = text.split("## Data")[1].split("## ")[0]
    assert "train rows: 1800 -> 2250" in data and "source seed: 7 -> 8" in data
    assert "test hash: blake3:" in data
    assert "roc_auc: " in text.split("## Metrics")[1].split("## ")[0]
    assert "contract=Month-to-month roc_auc" in text.split("## Slices")[1]
    assert ("Limitations: synthetic data only -> synthetic data only; tested on 3000 rows"
            in text)
    wrote = _nbops(root, "card", "churn:2", "--write")
    assert wrote.returncode == 0, wrote.stderr
    stored = root / ".nbops" / "registry" / "cards" / "churn" / "v2" / "README.md"
    assert stored.read_text() == wrote.stdout


def test_the_card_pages_escape_what_people_wrote_and_are_linked(project):
    root = project["root"]
    models = root / "reports" / "models"
    page = (models / "churn-v1-card.html").read_text()
    assert "rank customers for the retention team &lt;script&gt;" in page
    assert SCRIPT not in page
    assert 'href="churn-v1-card.html"' in (models / "churn-v1.html").read_text()
    second = _runs(root)[-1]
    run_page = (root / "reports" / "runs" / second["run_id"] / "index.html").read_text()
    assert 'href="../../models/churn-v2-card.html"' in run_page
    card2 = (models / "churn-v2-card.html").read_text()
    assert "senior_citizen" in card2 and "Permutation" not in card2  # HTML wording
    assert "Most important inputs" in card2


def test_a_failing_slice_gate_blocks_promotion_and_shows_on_the_run_page(project, run_build):
    root = project["root"]
    env = (root / "env.yaml").read_text().replace(
        "gates:\n", "gates:\n  fair_to_every_group: worst_slice_roc_auc >= 0.99\n", 1)
    (root / "env.yaml").write_text(env)
    before = _registry(root)["models"]["churn"]
    failed = run_build(root, "--env--data--seed", "8", "--env--data--rows", "3000",
                       check=False)
    assert failed.returncode != 0
    assert "fair_to_every_group: worst_slice_roc_auc = 0.7" in failed.stderr + failed.stdout \
        or "fair_to_every_group: worst_slice_roc_auc = 0.8" in failed.stderr + failed.stdout
    gated = _runs(root)[-1]
    assert gated["status"] == "gated"
    [result] = [r for r in gated["gates"]["results"] if r["name"] == "fair_to_every_group"]
    assert result["verdict"] == "failed"
    assert result["value"] == pytest.approx(gated["metrics"]["worst_slice_roc_auc"])
    assert _registry(root)["models"]["churn"]["aliases"] == before["aliases"]
    run_page = (root / "reports" / "runs" / gated["run_id"] / "index.html").read_text()
    assert "fair_to_every_group" in run_page and "worst_slice_roc_auc &gt;= 0.99" in run_page
