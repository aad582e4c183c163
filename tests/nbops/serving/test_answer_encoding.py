"""Scores are written into an answer as text that reads back as exactly the same floats."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nbops.serving._app import ARROW_TEXT_MIN, json_numbers


def test_scores_read_back_exactly_and_stay_floats():
    rng = np.random.default_rng(0)
    scores = np.concatenate([
        rng.random(5000), rng.random(2000) ** 30,  # down to ~1e-30: exponent notation
        np.exp(rng.uniform(-700, 0, 2000)), [5e-324, 1e-7, 1e-5, 0.1, 1 / 3, 0.9999999999999999],
    ])
    back = json.loads(json_numbers(scores))
    assert back == scores.tolist()  # exactly, not approximately
    assert all(type(v) is float for v in back)


@pytest.mark.parametrize("n", [3, 1000])  # written by Python's json, and by Arrow
def test_whole_float_scores_are_still_floats(n):
    # Arrow writes 1.0 as "1", which a JSON reader takes for an integer
    scores = np.full(n, 0.25)
    scores[0], scores[-1] = 0.0, 1.0
    back = json.loads(json_numbers(scores))
    assert back == scores.tolist()
    assert all(type(v) is float for v in back)


@pytest.mark.parametrize("n", [3, 1000])
def test_labels_are_integers(n):
    labels = np.arange(n, dtype=np.int64) % 2
    back = json.loads(json_numbers(labels.astype(np.int8)))
    assert back == labels.tolist() and all(type(v) is int for v in back)


@pytest.mark.parametrize("n", [3, 1000])
def test_a_score_json_cannot_carry_is_refused(n):
    scores = np.full(n, 0.5)
    scores[n // 2] = np.nan
    with pytest.raises(ValueError):
        json_numbers(scores)


def test_many_whole_float_scores_are_still_floats():
    # all whole: no value Arrow could write, so Python's json writes them all
    scores = np.full(ARROW_TEXT_MIN * 4, 1.0)
    scores[::2] = 0.0
    text = json_numbers(scores)
    assert b"1.0" in text and b"0.0" in text
    back = json.loads(text)
    assert back == scores.tolist() and all(type(v) is float for v in back)


def test_from_arrow_text_min_values_on_arrow_writes_them():
    # Arrow writes 1e-7 as "1e-7", Python as "1e-07": the same float, told apart by its text
    assert json_numbers(np.full(ARROW_TEXT_MIN - 1, 1e-7)).startswith(b"[1e-07,")
    assert json_numbers(np.full(ARROW_TEXT_MIN, 1e-7)).startswith(b"[1e-7,")
    assert json.loads(json_numbers(np.full(ARROW_TEXT_MIN, 1e-7))) == [1e-7] * ARROW_TEXT_MIN
