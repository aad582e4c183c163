"""A project other than the reference one sees none of the reference project's words: its
runs are not labelled "embedded generator", the runs filter suggests its own parameter."""

from __future__ import annotations

from nbops.core import experiment_of, from_summary
from nbops.reports._site_page import runs_table


def _summary(params: dict[str, object]) -> dict[str, object]:
    return {"run_id": "20261207T000000000000Z-aaaaaa", "status": "succeeded",
            "params": params, "metrics": {}, "experiment": {"model": None, "data": "",
                                                            "name": None}}


def test_a_run_without_a_data_path_has_no_data_label() -> None:
    foreign = experiment_of({"env": {"scale": 3}})
    assert foreign.data == "" and foreign.label == "no model"
    assert from_summary({}).label == "no model"
    reference = experiment_of({"env": {"data": {"path": None}, "registry": {"model": "m"}}})
    assert reference.label == "m · embedded generator"  # said only where the env declares it


def test_the_runs_filter_suggests_the_projects_own_parameter() -> None:
    html = runs_table([_summary({"api_token": 7, "train.alpha": 0.5})], [])
    assert 'placeholder="train.alpha=0.5"' in html
    assert "max_iter" not in html and "embedded generator" not in html
    assert 'placeholder="name=value"' in runs_table([_summary({})], [])
