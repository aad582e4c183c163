"""Without nbops' start-up hooks, nbops' own commands still keep Ploomber quiet for what they
run (builds, kernels): statistics and the PyPI version check off, unless the user chose."""

from __future__ import annotations

import os

from nbops.cli.main import main


def test_nbops_turns_ploomber_telemetry_and_version_check_off(monkeypatch) -> None:
    for name in ("PLOOMBER_STATS_ENABLED", "PLOOMBER_VERSION_CHECK_DISABLED"):
        monkeypatch.setenv(name, "-")  # so that monkeypatch puts back the value before the test
        monkeypatch.delenv(name)
    main(["--version"])
    assert os.environ["PLOOMBER_STATS_ENABLED"] == "false"
    assert os.environ["PLOOMBER_VERSION_CHECK_DISABLED"] == "true"


def test_a_users_own_choice_is_kept(monkeypatch) -> None:
    monkeypatch.setenv("PLOOMBER_STATS_ENABLED", "true")
    main(["--version"])
    assert os.environ["PLOOMBER_STATS_ENABLED"] == "true"
