"""`nbops monitor --log` on a damaged prediction log or an absurd window: one sentence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from serving_world import make_project

from churn import generator
from nbops.cli.main import main
from nbops.core import DataError, of_version
from nbops.registry import get_version
from nbops.serving import parse_window
from nbops.serving._prediction_log import log_dir
from nbops.validation import prepare_for_model


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a champion and a readable log part of 40 logged rows."""
    root = make_project(tmp_path_factory.mktemp("monitor-log") / "project", rows=600)
    raw = generator.generate(40, seed=9)
    features, problems = prepare_for_model(raw, of_version(get_version("churn:1", root)))
    assert not problems
    logged = features.assign(
        request_id=[f"r{i}" for i in range(len(raw))], row=0,
        logged_at=pd.Timestamp("2026-12-01", tz="UTC"), model="churn", model_version=1,
        score=0.5, label=1, customer_id=raw["customer_id"].astype(str))
    folder = log_dir(root, "churn")
    folder.mkdir(parents=True)
    logged.to_parquet(folder / "part-20261201T000000000000Z-1-good.parquet", index=False)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("window", ["last:999999w", "last:99999999999999999999d",
                                    "last:1e400s", "last:999999999999w"])
def test_a_window_reaching_before_year_one_is_one_sentence(
    template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    window: str
) -> None:
    monkeypatch.chdir(template)
    code, out, err = run(capsys, "monitor", "--log", window)
    assert code == 1, out + err
    assert window in err and "all" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + out


def test_parse_window_refuses_an_overflowing_window() -> None:
    with pytest.raises(DataError, match="too long"):
        parse_window("last:999999w")
    assert parse_window("last:1w").since is not None  # an ordinary window still works


@pytest.mark.parametrize("part", ["part-20261201T000000000000Z-1-abcd.parquet",
                                  "feedback/feedback-20261201T000000000000Z-1.parquet"])
@pytest.mark.parametrize("damage", [b"", b"PAR1 not really parquet", b"\x00" * 64])
def test_a_damaged_log_part_is_one_sentence_naming_it(
    template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    part: str, damage: bytes
) -> None:
    folder = log_dir(template, "churn")
    path = folder / part
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(damage)
    monkeypatch.chdir(template)
    code, out, err = run(capsys, "monitor", "--log", "all")
    path.unlink()
    assert run(capsys, "monitor", "--log", "all")[0] == 0  # the intact log is read as before
    assert code == 1, out + err
    assert path.name in err and "move it" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + out
