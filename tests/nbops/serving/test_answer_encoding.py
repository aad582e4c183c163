"""Scores are written into an answer as text that reads back as exactly the same floats."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nbops.serving.app import json_numbers


def test_scores_read_back_exactly_and_stay_floats():
    rng = np.random.default_rng(0)
    scores = np.concatenate([
        rng.random(5000), rng.random(2000) ** 30,  # down to ~1e-30: exponent notation
        np.exp(rng.uniform(-700, 0, 2000)), [5e-324, 1e-7, 1e-5, 0.1, 1 / 3, 0.9999999999999999],
    ])
    back = json.loads(json_numbers(scores))
    assert back == scores.tolist()  # exactly, not approximately
    assert all(type(v) is float for v in back)


def test_whole_float_scores_are_still_floats():
    # Arrow writes 1.0 as "1", which a JSON reader takes for an integer
    back = json.loads(json_numbers(np.array([0.0, 0.25, 1.0])))
    assert back == [0.0, 0.25, 1.0]
    assert [type(v) for v in back] == [float, float, float]


def test_labels_are_integers():
    assert json.loads(json_numbers(np.array([0, 1, 1], dtype=np.int8))) == [0, 1, 1]


def test_a_score_json_cannot_carry_is_refused():
    with pytest.raises(ValueError):
        json_numbers(np.array([0.5, np.nan]))
