"""model_card.yaml: what promotion to champion needs, and the sentence when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.core import ConfigError, missing_card_fields, missing_card_sentence, read_model_card

COMPLETE = """\
owner: team
intended_use: rank customers
out_of_scope_uses: [pricing]
limitations:
  - synthetic data
"""


def test_a_complete_card_lacks_nothing(tmp_path: Path) -> None:
    (tmp_path / "model_card.yaml").write_text(COMPLETE)
    assert missing_card_fields(read_model_card(tmp_path)) == []


def test_empty_or_absent_fields_are_named_in_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "model_card.yaml").write_text("owner: team\nintended_use: ''\nlimitations: []\n")
    missing = missing_card_fields(read_model_card(tmp_path))
    assert missing == ["intended_use", "out_of_scope_uses", "limitations"]
    sentence = missing_card_sentence(missing, "churn")
    assert sentence.startswith("churn's model card lacks intended_use, out_of_scope_uses, "
                               "limitations: write them in model_card.yaml")


def test_no_file_lacks_every_field(tmp_path: Path) -> None:
    assert read_model_card(tmp_path) is None
    assert missing_card_fields(None) == ["intended_use", "out_of_scope_uses", "limitations",
                                         "owner"]


@pytest.mark.parametrize("text, problem", [
    ("intended_usee: x\n", "unknown field(s) intended_usee"),
    ("- a list\n", "is a list, not a mapping"),
    ("owner: {name: x}\n", "owner is {'name': 'x'}"),
])
def test_a_bad_file_is_one_sentence(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "model_card.yaml").write_text(text)
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")
                       .replace("{", r"\{").replace("}", r"\}")):
        read_model_card(tmp_path)
