"""``nbops monitor BATCH``: check a file against the current champion and print the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from nbops.core.errors import NbopsError


def _settings(root: Path) -> dict[str, Any]:
    """The ``monitoring:`` section of env.monitor.yaml (or env.yaml), if any."""
    import yaml

    for name in ("env.monitor.yaml", "env.yaml"):
        path = root / name
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            section = data.get("monitoring") if isinstance(data, dict) else None
            if isinstance(section, dict):
                return section
    return {}


def _table(report: dict[str, Any]) -> str:
    lines = [f"{'feature':<22} {'status':<6} {'PSI':>7} {'KS':>7} {'missing':>8} {'unseen':>7}"]
    for name, d in report["features"].items():
        ks = "" if d["ks"] is None else f"{d['ks']:.3f}"
        unseen = f"{d['unseen_share']:.1%}" if d["kind"] == "categorical" else ""
        lines.append(
            f"{name:<22} {d['status']:<6} {d['psi']:>7.3f} {ks:>7} "
            f"{d['missing_current']:>8.1%} {unseen:>7}"
        )
    prediction = report.get("prediction")
    if prediction:
        lines.append(
            f"{'(champion scores)':<22} {prediction['status']:<6} {prediction['psi']:>7.3f} "
            f"{prediction['ks']:>7.3f}"
        )
    performance = report.get("performance")
    if performance and "roc_auc" in performance["live"]:
        reference = performance["reference"].get("roc_auc")
        ref_text = "" if reference is None else f" (reference {reference:.3f})"
        lines.append(
            f"live ROC AUC {performance['live']['roc_auc']:.3f}{ref_text}: {performance['status']}"
        )
    return "\n".join(lines)


@click.command("monitor")
@click.argument("batch", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--log", "window", default=None, metavar="WINDOW",
              help="Check logged traffic of `nbops serve-model` instead of a file: last:7d "
                   "(s/m/h/d/w), all, or FROM..TO; labels come from `nbops feedback`.")
@click.option("--champion", "ref", default="churn@champion", show_default=True,
              help="Registered model to compare with (NAME@ALIAS or NAME:VERSION).")
@click.option("--target", default=None, help="Label column (default: the champion's target).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--fail-on", type=click.Choice(["alert", "warn", "never"]), default=None,
              help="Exit with status 1 when the verdict is this or worse "
                   "(default: monitoring.fail_on in env.monitor.yaml).")
@click.option("--retrain", is_flag=True,
              help="On alert, retrain on BATCH through the normal train/gate/promote build.")
def monitor_command(
    batch: Path | None, window: str | None, ref: str, target: str | None, as_json: bool,
    fail_on: str | None, retrain: bool
) -> None:
    """Check BATCH (CSV or Parquet) for drift against the champion and print the verdict.

    BATCH is in the raw format the champion was trained from: the cleaning
    registered with it (blank strings missing, text to numbers, labels to 0/1)
    is applied first.  With --log WINDOW, the rows the scoring service logged
    in that window are checked instead, with the labels `nbops feedback` attached.

    Reads the champion's training data, scores and reference metrics from the
    registry; thresholds come from monitoring.thresholds in env.monitor.yaml.
    Nothing is written: the registry is never touched (unless --retrain starts
    a training build, which goes through the quality gates like any other).
    """
    from nbops.core.input_preparation import of_version
    from nbops.monitoring import Thresholds
    from nbops.monitoring.batch_io import binary_labels, read_batch
    from nbops.monitoring.champion import Champion, monitor, unreadable_report
    from nbops.monitoring.retrain import retrain_command, run_retrain
    from nbops.monitoring.status import ALERT, severity
    from nbops.registry.api import find_root, get_version, load_model
    from nbops.registry.refs import parse_ref
    from nbops.validation.preparation import clean_raw

    if (batch is None) == (window is None):
        raise click.UsageError("give either a BATCH file or --log WINDOW (not both)")
    root = find_root()
    settings = _settings(root)
    thresholds = Thresholds.from_mapping(settings.get("thresholds"))
    if fail_on is None and str(settings.get("fail_on")).lower() in ("alert", "warn"):
        fail_on = str(settings["fail_on"]).lower()
    if fail_on == "never":
        fail_on = None
    record = get_version(ref, root)
    champion = Champion.from_record(root, parse_ref(ref).name, record, load_model(ref, root))
    target = target or champion.schema.get("target")
    preparation = of_version(record)
    if target:
        preparation = {**preparation, "target": {**(preparation.get("target") or {}),
                                                 "name": target}}
    info: dict[str, Any]
    if window is not None:
        from nbops.serving.feedback import logged_batch, parse_window
        from nbops.serving.prediction_log import log_dir

        logged, info = logged_batch(log_dir(root, champion.name), parse_window(window),
                                    target or "target")
        frame, problem = (logged, None) if len(logged) else (
            None, f"the prediction log of {champion.name} has no rows in {window}; "
                  "check that nbops serve-model ran with logging on, or widen the window")
    else:
        assert batch is not None
        info = {"source": str(batch)}
        frame, problem = read_batch(batch)
        if frame is not None:
            frame = clean_raw(frame, preparation)
    if frame is None:
        report = unreadable_report(problem or "unreadable batch", thresholds, info)
    else:
        if target and target in frame.columns:
            frame = frame.assign(**{target: binary_labels(frame[target])})
        info["rows"] = len(frame)
        report = monitor(champion, frame, thresholds, info)
    document = report.to_dict()
    outcome: dict[str, Any] | None = None
    if retrain and report.verdict == ALERT:
        if batch is None:
            outcome = {"status": "skipped", "reason": "retraining from the log is not supported "
                       "yet; export the window with labels and pass it as BATCH"}
        elif frame is None or not target or target not in frame.columns:
            outcome = {"status": "skipped", "reason": "the batch has no labels to train on"}
        else:
            argv = retrain_command(batch, target)
            done = run_retrain(root, argv)
            outcome = {"status": "succeeded" if done.returncode == 0 else "failed",
                       "returncode": done.returncode, "command": argv[1:],
                       "output_tail": (done.stdout + done.stderr)[-2000:]}
        document["retrain"] = outcome
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(f"{report.summary}")
        click.echo(f"champion {champion.label}; {report.rows:,} rows; "
                   f"{report.tests} tests sharing alpha={thresholds.alpha:g}")
        if report.features:
            click.echo(_table(document))
        if outcome is not None:
            click.echo(f"retraining: {outcome['status']}"
                       + (f" ({outcome.get('reason')})" if outcome.get("reason") else ""))
            if outcome["status"] == "failed":
                click.echo("$ ploomber " + " ".join(outcome["command"]), err=True)
                click.echo(outcome["output_tail"][-1200:], err=True)
    if fail_on and severity(report.verdict) >= severity(fail_on):
        click.echo(f"nbops monitor: verdict {report.verdict} (--fail-on {fail_on})", err=True)
        raise click.exceptions.Exit(1)
    if outcome is not None and outcome["status"] == "failed":
        raise NbopsError(
            f"the retraining build exited with {outcome['returncode']} (a failed quality gate "
            "ends this way too; the champion is unchanged then)",
            "read the build output above (or output_tail with --json), and the run's report",
        )


COMMANDS = [monitor_command]
