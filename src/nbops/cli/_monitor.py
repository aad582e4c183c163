"""``nbops monitor BATCH``: check a file against the current champion and print the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from nbops.core import NbopsError


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


def _echo_verdict(outcome: Any) -> None:
    """The verdict, the table and the retrain's lines, for people."""
    report, retrain = outcome.report, outcome.retrain
    click.echo(f"{report.summary}")
    click.echo(f"champion {outcome.champion.label}; {report.rows:,} rows; "
               f"{report.tests} tests sharing alpha={outcome.thresholds.alpha:g}")
    if report.features:
        click.echo(_table(outcome.document))
    if retrain is not None:
        click.echo(f"retraining: {retrain['status']}"
                   + (f" ({retrain.get('reason')})" if retrain.get("reason") else ""))
        for line in retrain.get("lines", ()):
            click.echo(f"  {line}")
        if retrain["status"] == "failed":
            click.echo("$ ploomber " + " ".join(retrain["command"]), err=True)
            click.echo(retrain["output_tail"][-1200:], err=True)


def _exit_status(outcome: Any, as_json: bool) -> None:
    """Fail on the verdict (``--fail-on``) or on a retraining build that failed."""
    from nbops.monitoring import severity

    fail_on, retrain, verdict = outcome.fail_on, outcome.retrain, outcome.report.verdict
    if fail_on and severity(verdict) >= severity(fail_on):
        click.echo(f"nbops monitor: verdict {verdict} (--fail-on {fail_on})", err=True)
        raise click.exceptions.Exit(1)
    if retrain is not None and retrain["status"] == "failed" and retrain.get("returncode"):
        failure = NbopsError(
            f"the retraining build exited with {retrain['returncode']} (a failed quality gate "
            "ends this way too; the champion is unchanged then)",
            "read the build output above (or output_tail with --json), and the run's report",
        )
        if not as_json:
            raise failure
        # stdout already holds the report (with retrain.status "failed"): one JSON document
        click.secho(f"Error: {failure}", fg="red", err=True)
        raise click.exceptions.Exit(1)


@click.command("monitor")
@click.argument("batch", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--log", "window", default=None, metavar="WINDOW",
              help="Check logged traffic of `nbops serve-model` instead of a file: last:7d "
                   "(s/m/h/d/w), all, or FROM..TO; labels come from `nbops feedback`.")
@click.option("--sql", default=None, metavar="QUERY",
              help="Check the rows a SQL query returns instead of a file (docs/databases.md).")
@click.option("--connection", default=None, metavar="URL",
              help="Where --sql runs (duckdb:///file.duckdb, postgresql://user:${PGPASSWORD}@"
                   "host/db, any SQLAlchemy URL; default: the connection the champion's "
                   "training run read, else DuckDB in memory).")
@click.option("--champion", "ref", default=None,
              help="Registered model to compare with (NAME@ALIAS or NAME:VERSION; default: "
                   "the project's model, registry.model in env.yaml, @champion).")
@click.option("--target", default=None, help="Label column (default: the champion's target).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--fail-on", type=click.Choice(["alert", "warn", "never"]), default=None,
              help="Exit with status 1 when the verdict is this or worse "
                   "(default: monitoring.fail_on in env.monitor.yaml).")
@click.option("--retrain", is_flag=True,
              help="Retrain when monitoring.retrain_policy's triggers fire: on the champion's "
                   "data plus BATCH's older rows, promoted only if it beats the champion on "
                   "BATCH's newest rows.")
def monitor_command(
    batch: Path | None, window: str | None, sql: str | None, connection: str | None,
    ref: str | None, target: str | None, as_json: bool, fail_on: str | None, retrain: bool,
) -> None:
    """Check BATCH (CSV or Parquet) for drift against the champion and print the verdict.

    BATCH is in the raw format the champion was trained from: the cleaning
    registered with it (blank strings missing, text to numbers, labels to 0/1)
    is applied first.  With --log WINDOW, the rows the scoring service logged
    in that window are checked instead, with the labels `nbops feedback` attached.
    With --sql QUERY, the rows the query returns (e.g. yesterday's batch,
    ``WHERE day = current_date - 1``), read straight from the database.

    Reads the champion's training data, scores and reference metrics from the
    registry; thresholds come from monitoring.thresholds in env.monitor.yaml.
    Nothing is written: the registry is never touched (unless --retrain starts
    a training build, which goes through the quality gates like any other).
    """
    from nbops.app import MonitorRequest, check_champion
    from nbops.registry import find_root

    if [batch is not None, window is not None, sql is not None].count(True) != 1:
        raise click.UsageError("give one of a BATCH file, --log WINDOW or --sql QUERY")
    outcome = check_champion(MonitorRequest(find_root(), batch, window, ref, target, fail_on,
                                            retrain, sql=sql, connection=connection))
    if as_json:
        click.echo(json.dumps(outcome.document, indent=2))
    else:
        _echo_verdict(outcome)
    _exit_status(outcome, as_json)


COMMANDS = [monitor_command]
