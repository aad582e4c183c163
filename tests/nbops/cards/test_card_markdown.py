"""The Markdown card and the diff, from card sections (no build)."""

from __future__ import annotations

import copy

import yaml

from card_sections import hostile_card
from nbops.cards import card_diff, card_markdown, diff_markdown


def test_the_markdown_card_has_front_matter_every_section_and_the_monitoring_history() -> None:
    card = hostile_card("")
    text = card_markdown(card, {"registered_by_run": "R1", "artifact": {"path": "m.skops",
                                                                         "hash": "h"}},
                         [{"run_id": "M1", "started_at": "2026-02-01", "monitoring_verdict": "ok"}])
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["library_name"] == "sklearn" and meta["model_file"] == "m.skops"
    assert meta["nbops"] == {"model": "churn", "version": 1, "run_id": "R1", "model_hash": "h",
                             "card_schema_version": 1}
    for heading in ("# Model card: churn:1", "## Intended use", "## Out-of-scope uses",
                    "## Limitations", "## Owner", "## Model", "## Data",
                    "## Metrics on the test set", "## Metrics by slice", "## Calibration",
                    "## Most important inputs", "## Gates", "## Champion", "## Monitoring"):
        assert f"\n{heading}\n" in f"\n{body}", heading
    assert "| M1 | 2026-02-01 | ok |" in body
    assert "not monitored" not in body.lower()


def test_a_card_not_yet_written_says_so() -> None:
    card = hostile_card("")
    card["human"], card["missing"] = None, ["intended_use", "owner"]
    text = card_markdown(card)
    assert "> This card lacks intended_use, owner (model_card.yaml)." in text
    assert "## Intended use\n\n*Not written yet (model_card.yaml).*" in text
    assert "## Monitoring\n\nNot monitored yet." in text


def test_the_diff_names_each_change_and_nothing_else() -> None:
    a = hostile_card("")
    b = copy.deepcopy(a)
    b["data"]["test"]["rows"] = 12
    b["evaluation"]["content"]["metrics"]["roc_auc"]["value"] = 0.75
    b["human"]["limitations"] = ["limit", "new limit"]
    changes = dict(card_diff(a, b))
    assert changes["data"] == ["test rows: 10 -> 12 (+2)"]
    assert changes["metrics"] == ["roc_auc: 0.8 -> 0.75 (-0.05); interval [0.7, 0.9] -> "
                                  "[0.7, 0.9]"]
    assert changes["written by people"] == ["Limitations: limit -> limit; new limit"]
    assert changes["slices"] == [] and changes["model parameters"] == []
    assert "## Slices\n\nNo change." in diff_markdown("churn:1", "churn:2", card_diff(a, b))
