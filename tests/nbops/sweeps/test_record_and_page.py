"""The sweep record's schema and best trial; run tags; the sweep page escapes what it shows."""

from __future__ import annotations

import pytest

from nbops.core import env_options as env_args
from nbops.core import option_value as cli_value
from nbops.core._errors import ConfigError, IntegrityError
from nbops.core._project import Project
from nbops.reports._sweep_page import render_sweep_page
from nbops.runs._tags import run_tags
from nbops.sweeps import _sweep_record as records
from nbops.sweeps._runner import new_trial


def _record(direction: str = "maximize") -> dict:
    trials = [new_trial(n, {"model.kind": kind}) for n, kind in
              enumerate(["a", "<script>alert(1)</script>", "c", "d"], 1)]
    for trial, (status, value) in zip(trials, [("succeeded", 0.8), ("succeeded", 0.9),
                                               ("gated", 0.95), ("failed", None)], strict=True):
        run_id = f"20261128T000000000000Z-aaaaa{trial['number']}"
        trial.update(status=status, value=value, run_id=run_id, duration_s=1.0,
                     note="<img src=x onerror=alert(2)>")
    return {"schema_version": 1, "name": "s1", "id": "s1@2026-11-28T00:00:00Z",
            "created_at": "2026-11-28T00:00:00Z", "pipeline": "pipeline.yaml",
            "sampler": {"kind": "grid", "seed": 0},
            "space": {"model.kind": {"kind": "grid", "values": ["a", "b"]}}, "fixed": {},
            "objective": {"metric": "roc_auc", "direction": direction}, "budget": 4,
            "workers": 1, "trials": trials, "best": None}


def test_best_is_the_best_succeeded_trial_in_the_objective_direction() -> None:
    assert records.best_trial(_record())["number"] == 2  # the gated 0.95 does not count
    assert records.best_trial(_record("minimize"))["number"] == 1


def test_record_round_trip_and_damage(tmp_path) -> None:
    project = Project(tmp_path)
    (tmp_path / "reports" / "sweeps" / "s1").mkdir(parents=True)
    records.write(project, _record(), "test.write")
    assert records.read(project, "s1")["trials"][1]["value"] == 0.9
    path = records.record_path(project, "s1")
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(IntegrityError, match="is not valid JSON"):
        records.read(project, "s1")
    path.write_text('{"schema_version": 1}')
    with pytest.raises(IntegrityError, match="is invalid"):
        records.read(project, "s1")
    with pytest.raises(ValueError, match="invalid sweep record"):
        records.write(project, {**_record(), "budget": 0}, "test.write")
    with pytest.raises(ConfigError, match="is not a plain name"):
        records.check_name("../escape")


def test_page_escapes_parameter_values_and_notes() -> None:
    html = render_sweep_page({**_record(), "best": {"number": 2, "run_id": "r", "value": 0.9}})
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    # trials best first: 0.95 (gated), 0.9, 0.8, then the one without a value
    order = [html.index(f"aaaaa{n}/index.html") for n in (3, 2, 1, 4)]
    assert order == sorted(order)
    # the plot (scatter.svg.j2): one point per scored trial, its hover title escaped too
    assert html.count("<circle ") == 3
    assert ("<title>trial 2: model.kind=&lt;script&gt;alert(1)&lt;/script&gt;, roc_auc=0.9"
            "</title>") in html


def test_cli_values_read_back_as_the_same_literal() -> None:
    assert env_args({"model.max_depth": 5, "model.lr": 0.1, "data.path": None,
                     "model.early": True, "model.kind": "hgb"}) == [
        "--env--model--max_depth", "5", "--env--model--lr", "0.1", "--env--data--path",
        "None", "--env--model--early", "True", "--env--model--kind", "hgb"]
    assert cli_value(1e-05) == "1e-05"


@pytest.mark.parametrize("raw, message", [
    ("{", "is not valid JSON"), ("[1]", "is not a JSON object"),
    ('{"a b": 1}', "has a tag named 'a b'"), ('{"password": "x"}', "has a tag named"),
    ('{"sweep": [1]}', "is not a short string"), ('{"sweep": "' + "x" * 201 + '"}', "short"),
])
def test_malformed_run_tags_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_tags({"NBOPS_RUN_TAGS": raw})


def test_run_tags() -> None:
    assert run_tags({}) == {}
    assert run_tags({"NBOPS_RUN_TAGS": '{"sweep": "s", "trial": 2}'}) == {"sweep": "s", "trial": 2}
