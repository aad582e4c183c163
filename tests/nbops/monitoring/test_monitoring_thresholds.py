"""Thresholds come from env.yaml's monitoring section; bad values are named."""

import pytest

from nbops.core._errors import ConfigError
from nbops.monitoring import Thresholds


def test_defaults_and_overrides() -> None:
    thresholds = Thresholds.from_mapping({"psi_alert": "0.1", "bins": 20, "retrain": True})
    assert thresholds.psi_alert == 0.1
    assert thresholds.bins == 20
    assert thresholds.alpha == Thresholds().alpha
    assert thresholds.to_dict()["psi_alert"] == 0.1


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"alpha": 1.5}, "monitoring.alpha"),
        ({"bins": 1}, "monitoring.bins"),
        ({"psi_warn": 0.3, "psi_alert": 0.1}, "monitoring.psi_warn"),
        ({"auc_drop_alert": "lots"}, "monitoring.auc_drop_alert"),
        ({"top_k": 0}, "monitoring.top_k"),
    ],
)
def test_bad_values_say_which_key_and_how_to_fix(values: dict, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Thresholds.from_mapping(values)
    assert named in caught.value.problem
    assert "env.yaml" in (caught.value.fix or "")
