"""Ledger metrics, the manifest section, the report file, batch reading and retraining argv."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from monitoring_world import champion_score, make_frame

from nbops.core._errors import DataError
from nbops.monitoring import check_batch
from nbops.monitoring._after_run import banner, manifest_section
from nbops.monitoring._batch_io import binary_labels, read_batch
from nbops.monitoring._metrics import report_metrics
from nbops.monitoring._report import read_report, write_report
from nbops.monitoring._retrain import retrain_command


@pytest.fixture(scope="module")
def drifted(profile):
    frame = make_frame(5_000, seed=21, shift=0.4)
    return check_batch(profile, frame, scores=champion_score(frame))


def test_metrics_follow_the_naming_convention(drifted) -> None:
    metrics = report_metrics(drifted.to_dict())
    assert metrics["monitor_verdict"] == 2.0
    assert metrics["drift_psi.charges"] > metrics["monitor_threshold.psi_alert"]
    assert "drift_ks.charges" in metrics and "drift_ks.plan" not in metrics
    assert "drift_unseen.plan" in metrics and "drift_missing.tenure" in metrics
    assert {"prediction_psi", "live_roc_auc", "reference_roc_auc"} <= set(metrics)
    assert metrics["monitor_threshold.live_roc_auc_alert"] == pytest.approx(
        metrics["reference_roc_auc"] - 0.02
    )
    assert all(np.isfinite(v) for v in metrics.values())


def test_manifest_section_carries_verdict_banner_and_thresholds(drifted) -> None:
    document = drifted.to_dict()
    section = manifest_section(document, "monitor", {"fail_on": None}, {"path": "x", "hash": None})
    assert section["verdict"] == "alert"
    assert section["banner"] == banner(document)
    assert section["banner"].startswith("MONITORING ALERT: drift in charges")
    assert section["thresholds"]["psi_alert"] == 0.02
    assert section["features"]["charges"]["status"] == "alert"
    json.dumps(section, allow_nan=False)


def test_the_section_matches_its_schema_inner_fields_included(drifted) -> None:
    from nbops.contracts import MONITORING

    report_file = {"path": ".nbops/products/monitor.json", "hash": "blake3:" + "0" * 64,
                   "size": 10, "metadata_hash": None}
    action = {"fail_on": "alert", "failed_build": True,
              "retrain": {"requested": True, "status": "skipped", "reason": "no data"}}
    section = manifest_section(drifted.to_dict(), "monitor", action, report_file)
    assert MONITORING.errors(section) == []
    assert MONITORING.errors({**section, "action": {**action, "retried": True}})  # closed


def test_a_report_without_added_drift_tests_still_makes_a_section(drifted) -> None:
    """``tests`` is optional in ``monitor.json`` (reports from before drift tests were
    added, or written without them): the section then leaves it out, as for an empty one."""
    from nbops.contracts import MONITORING
    from nbops.monitoring._report import check_report

    document = json.loads(json.dumps(drifted.to_dict()))
    for drift in document["features"].values():
        drift.pop("tests", None)
    report = check_report(document, "a report without drift tests")
    section = manifest_section(report, "monitor", {"fail_on": None, "failed_build": False,
                                                   "retrain": {"requested": False,
                                                               "status": "not_configured"}},
                               {"path": "monitor.json", "hash": None})
    assert all("tests" not in feature for feature in section["features"].values())
    assert MONITORING.errors(section) == []


def test_report_file_round_trips_and_is_validated(drifted, tmp_path: Path) -> None:
    path = tmp_path / "monitor.json"
    written = write_report(drifted, path)
    assert read_report(path) == written
    broken = dict(written, verdict="maybe")
    path.write_text(json.dumps(broken))
    with pytest.raises(DataError, match="not a valid nbops monitoring report"):
        read_report(path)
    with pytest.raises(DataError, match="does not exist"):
        read_report(tmp_path / "absent.json")


def test_read_batch_never_raises(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    frame, problem = read_batch(tmp_path / "empty.csv")
    assert problem is None and frame is not None and len(frame) == 0
    frame, problem = read_batch(tmp_path / "absent.csv")
    assert frame is None and "does not exist" in problem
    (tmp_path / "x.txt").write_text("a")
    assert "not .csv or .parquet" in read_batch(tmp_path / "x.txt")[1]
    (tmp_path / "bad.parquet").write_text("not parquet")
    assert "cannot be read" in read_batch(tmp_path / "bad.parquet")[1]


def test_binary_labels() -> None:
    labels = binary_labels(pd.Series(["Yes", "no", None, "TRUE", "maybe"]))
    assert labels.tolist()[:2] == [1.0, 0.0] and labels.tolist()[3] == 1.0
    assert labels.isna().tolist() == [False, False, True, False, True]


def test_retrain_command_reads_store_objects_as_parquet(tmp_path: Path) -> None:
    argv = retrain_command(tmp_path / "ab" / "cdef0123", "churn")
    assert argv[1:3] == ["build", "--env--data--path"]
    assert argv[argv.index("--env--data--format") + 1] == "parquet"
    assert argv[-2:] == ["--env--data--target", "churn"]
    assert retrain_command(tmp_path / "new.csv")[-1] == "csv"


def test_plots_draw_the_drifted_features(profile, drifted) -> None:
    from nbops.monitoring import _plots as plots

    document = drifted.to_dict()
    frame = make_frame(5_000, seed=21, shift=0.4)
    overview = plots.drift_overview(document)
    labels = [t.get_text() for t in overview.axes[0].get_yticklabels()]
    assert "charges" in labels and "scores (prediction)" in labels
    panels = plots.top_feature_distributions(document, profile, frame)
    assert panels is not None
    assert panels.axes[0].get_title().startswith("charges: alert")
    both = plots.scores_and_performance(document, profile, champion_score(frame))
    assert both is not None and len(both.axes) == 2
    quiet = check_batch(profile, make_frame(2_000, seed=22)).to_dict()
    assert plots.top_feature_distributions(quiet, profile, make_frame(2_000, seed=22)) is None
