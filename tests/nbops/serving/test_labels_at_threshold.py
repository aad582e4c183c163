"""A score exactly at the model's threshold is labelled 1 (`score >= threshold`), through the
service's own scoring path, with a real (constant) scikit-learn model."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from nbops.serving._app import Service
from nbops.serving._model_slot import LoadedModel

PREPARATION = {"spec_version": 1, "strip_text": True, "blank_is_missing": True,
               "numeric": ["x"], "categorical": [], "order": ["x"]}


def _service(threshold: float) -> tuple[Service, LoadedModel]:
    model = DummyClassifier(strategy="prior").fit(np.zeros((4, 1)), [0, 1, 1, 1])  # 0.75
    loaded = LoadedModel(name="m", version=1, model=model, schema={},
                         preparation=PREPARATION, allowed=frozenset({"x"}), threshold=threshold)
    return Service(SimpleNamespace(current=loaded), None), loaded  # type: ignore[arg-type]


@pytest.mark.parametrize("threshold, label", [
    (0.75, 1), (float(np.nextafter(0.75, 1.0)), 0), (float(np.nextafter(0.75, 0.0)), 1)])
def test_a_score_at_the_threshold_is_labelled_1(threshold: float, label: int) -> None:
    service, model = _service(threshold)
    scores, labels = asyncio.run(service.score(model, b'[{"x": 1}, {"x": 2}]',
                                               "application/json", "r1"))
    assert scores.tolist() == [0.75, 0.75]
    assert labels.tolist() == [label, label]
