"""Metrics logged with a step, end to end: real builds of the ledger fixture whose train
notebook logs a learning curve; the manifest, the run page, the compare record, bad input.
(The compare page's overlay is drawn by a script: tests/browser/test_live_browser.py.)"""

from __future__ import annotations

import json

import pytest
from ledger_helpers import add_learning_curve, build, make_project, manifests, nbops

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Two runs whose curves differ (seed 7 and 8 make different data)."""
    root = add_learning_curve(make_project(tmp_path_factory.mktemp("curves")))
    build(root)
    build(root, "--env--seed", "8")
    return root


def test_the_curve_is_recorded_and_its_last_value_is_the_metric(project) -> None:
    first, second = manifests(project)
    for manifest in (first, second):
        train = manifest["tasks"]["train"]
        mean = train["metrics"]["train_mean"]
        assert train["curves"] == {"schema_version": 1, "series": {"loss": {
            "steps": [1, 2, 3, 4, 5], "values": [pytest.approx(mean / s) for s in range(1, 6)]}}}
        assert manifest["metrics"]["loss"] == pytest.approx(mean / 5)  # gates and index see this
    assert first["metrics"]["loss"] != second["metrics"]["loss"]
    listed = json.loads(nbops(project, "runs", "--json").stdout)
    assert {round(r["metrics"]["loss"], 6) for r in listed} == {
        round(m["metrics"]["loss"], 6) for m in (first, second)}


def test_the_run_page_draws_the_curve(project) -> None:
    run = manifests(project)[-1]["run_id"]
    page = (project / "reports" / "runs" / run / "index.html").read_text()
    assert '<section id="curves"><h2>Learning curves</h2>' in page
    assert 'data-metric="loss"' in page and 'class="curve" data-label="loss" data-points="5"' \
        in page
    record = (project / "reports" / "runs" / run / "compare.js").read_text()
    assert '"curves": {"loss": {"steps": [1, 2, 3, 4, 5]' in record


def test_nbops_compare_page_carries_both_curves(project, tmp_path) -> None:
    a, b = (m["run_id"] for m in manifests(project))
    out = tmp_path / "compare.html"
    done = nbops(project, "compare", a, b, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().count('"curves": {"loss": {"steps": [1, 2, 3, 4, 5]') == 2


def test_a_step_that_goes_back_fails_the_build_with_one_sentence(project) -> None:
    before = manifests(project)
    done = build(project, "--env--curve", "backwards", check=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    sentence = ("Metric 'loss' step 3 comes after step 5 of this notebook. Fix: log each step "
                "once, in increasing order")
    assert sentence in output, output[-3000:]
    after = manifests(project)
    assert after[:len(before)] == before  # earlier runs untouched
    failed = after[-1]
    assert failed["status"] == "failed" and failed["failure"]["task"] == "train"
    assert "comes after step 5" in failed["failure"]["evalue"]
