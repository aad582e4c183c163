"""``nbops monitor BATCH``: check a file against the current champion and print the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from nbops.core import NbopsError


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


def _safe_retrain(root: Path, champion: Any, record: dict[str, Any], document: dict[str, Any],
                  frame: Any, target: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """Retrain under monitoring.retrain_policy; promote only a candidate that wins.

    Trains (a normal build through the quality gates, same model name, promotion
    manual) on the champion's training data plus the older recent rows, scores
    candidate and champion on the newest recent rows, and promotes the
    candidate when it beats the champion there by more than min_margin.
    """
    from datetime import UTC, datetime

    from nbops.core import Project, of_version
    from nbops.monitoring import (
        RetrainPolicy,
        holdout_auc,
        reasons_to_retrain,
        retrain_command,
        run_retrain,
        should_promote,
        split_recent,
    )
    from nbops.registry import Actor, get_version, load_model, promote
    from nbops.runs import list_runs, load_manifest
    from nbops.validation import prepare_for_model

    policy = RetrainPolicy.from_mapping(settings.get("retrain_policy"))
    why, checked = reasons_to_retrain(policy, document, record.get("registered_at"))
    if not why:
        return {"status": "not_needed", "reason": "; ".join(checked) or "no trigger fired",
                "lines": []}
    if frame is None or not target or target not in frame.columns \
            or not frame[target].notna().any():
        return {"status": "skipped", "reason": "the batch has no labels to train on",
                "why": why, "lines": [f"why: {w}" for w in why]}
    data = split_recent(champion.training, frame, target, champion.schema.get("date_column"),
                        policy.holdout_fraction)
    folder = root / ".nbops" / "retrain" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    data_path = folder / "training.parquet"
    data.training.to_parquet(data_path, index=False)
    argv = retrain_command(data_path, target) + [
        "--env--registry--model", champion.name, "--env--registry--promotion", "manual"]
    lines = [f"why: {w}" for w in why] + [
        f"data: {champion.label} training data ({data.champion_rows:,} rows) + "
        f"{data.recent_rows:,} older recent labelled rows = {len(data.training):,} rows "
        f"({data_path.relative_to(root)})",
        f"shared holdout: the {len(data.holdout):,} newest recent labelled rows "
        "(neither model trained on them)"]
    done = run_retrain(root, argv)
    outcome: dict[str, Any] = {"why": why, "command": argv[1:], "returncode": done.returncode,
                               "training_rows": len(data.training),
                               "champion_rows": data.champion_rows,
                               "recent_rows": data.recent_rows,
                               "holdout_rows": len(data.holdout), "lines": lines,
                               "output_tail": (done.stdout + done.stderr)[-4000:]}
    project = Project(root)
    runs = list_runs(project)
    manifest = load_manifest(project, runs[-1]["run_id"]) if runs else {}
    registered = (manifest.get("registry") or {}).get("version")
    if done.returncode != 0 or registered is None:
        lines.append(f"the retraining build did not register a model (exit {done.returncode}: "
                     "a failed quality gate ends this way); champion "
                     f"{champion.label} kept")
        return {**outcome, "status": "failed", "promoted": False}
    candidate_label = f"{champion.name}:{registered}"
    spec = of_version(record)
    holdout, problems = prepare_for_model(data.holdout, spec)
    if problems:
        raise NbopsError(f"the holdout cannot be scored: {problems[0].message}",
                         "check the batch's columns")
    y = data.holdout[target]
    champion_auc = holdout_auc(champion.model.predict_proba(holdout)[:, 1], y)
    candidate_model = load_model(candidate_label, root)
    candidate_auc = holdout_auc(candidate_model.predict_proba(holdout)[:, 1], y)
    promoted = should_promote(candidate_auc, champion_auc, policy.min_margin)
    lines.append(f"on the shared holdout: candidate {candidate_label} ROC AUC "
                 f"{candidate_auc:.4f}, champion {champion.label} {champion_auc:.4f} "
                 f"(must beat it by more than {policy.min_margin:g})")
    if promoted and registered != champion.version:
        reason = (f"retrained ({'; '.join(why)}): ROC AUC {candidate_auc:.4f} vs "
                  f"{champion_auc:.4f} on {len(data.holdout):,} recent held-out rows")
        promote(root, champion.name, int(registered), reason=reason,
                           actor=Actor.from_process(manifest.get("run_id")),
                           expect=champion.version)
        lines.append(f"decision: promoted {candidate_label} to {champion.name}@champion")
    else:
        promoted = False
        lines.append(f"decision: not promoted; {champion.label} stays champion")
    assert get_version(f"{champion.name}@champion", root)["version"] == (
        registered if promoted else champion.version)
    return {**outcome, "status": "promoted" if promoted else "not_promoted",
            "promoted": promoted, "candidate": {"version": registered, "roc_auc": candidate_auc},
            "champion": {"version": champion.version, "roc_auc": champion_auc}}


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
    from nbops.core import of_version
    from nbops.monitoring import (
        Champion,
        Thresholds,
        binary_labels,
        monitor,
        read_batch,
        severity,
        unreadable_report,
    )
    from nbops.registry import find_root, get_version, load_model, parse_ref, project_model_name
    from nbops.validation import clean_raw

    if [batch is not None, window is not None, sql is not None].count(True) != 1:
        raise click.UsageError("give one of a BATCH file, --log WINDOW or --sql QUERY")
    root = find_root()
    ref = ref or f"{project_model_name(root)}@champion"
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
        from nbops.serving import log_dir, logged_batch, parse_window

        logged, info = logged_batch(log_dir(root, champion.name), parse_window(window),
                                    target or "target")
        frame, problem = (logged, None) if len(logged) else (
            None, f"the prediction log of {champion.name} has no rows in {window}; "
                  "check that nbops serve-model ran with logging on, or widen the window")
    elif sql is not None:
        frame, info = _query_batch(root, record, sql, connection, target)
        problem = None
        frame = clean_raw(frame, preparation)
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
    if retrain:
        if batch is None:
            outcome = {"status": "skipped", "reason": "retraining from the log is not supported "
                       "yet; export the window with labels and pass it as BATCH"}
        else:
            outcome = _safe_retrain(root, champion, record, document, frame, target, settings)
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
            for line in outcome.get("lines", ()):
                click.echo(f"  {line}")
            if outcome["status"] == "failed":
                click.echo("$ ploomber " + " ".join(outcome["command"]), err=True)
                click.echo(outcome["output_tail"][-1200:], err=True)
    if fail_on and severity(report.verdict) >= severity(fail_on):
        click.echo(f"nbops monitor: verdict {report.verdict} (--fail-on {fail_on})", err=True)
        raise click.exceptions.Exit(1)
    if outcome is not None and outcome["status"] == "failed" and outcome.get("returncode"):
        failure = NbopsError(
            f"the retraining build exited with {outcome['returncode']} (a failed quality gate "
            "ends this way too; the champion is unchanged then)",
            "read the build output above (or output_tail with --json), and the run's report",
        )
        if not as_json:
            raise failure
        # stdout already holds the report (with retrain.status "failed"): one JSON document
        click.secho(f"Error: {failure}", fg="red", err=True)
        raise click.exceptions.Exit(1)


def _query_batch(root: Path, record: dict[str, Any], sql: str, connection: str | None,
                 target: str | None) -> tuple[Any, dict[str, Any]]:
    """The batch a query returns, checked against the columns the champion trained on."""
    from nbops.core import REDACTED, find_project
    from nbops.runs import load_manifest
    from nbops.sources import SECTION, QuerySource, check_result, parse_connection, run_query

    trained: dict[str, Any] = {}
    try:
        sources = load_manifest(find_project(root), record["run_id"]).get(SECTION) or {}
        trained = next(iter(sources.values()), {})
    except (NbopsError, KeyError, OSError):
        pass  # a champion trained on a file: nothing recorded to default to or compare with
    if connection is None and REDACTED not in str(trained.get("connection", REDACTED)):
        connection = trained["connection"]
    source = QuerySource("monitor", "sql", sql.strip().rstrip(";"),
                         parse_connection(connection, root), "", None)
    table = run_query(source)
    check_result(source, table, trained.get("columns"),
                 f"the champion (v{record.get('version')})")
    return table.to_pandas(), {"source": f"query on {source.connection.recorded}",
                               "sql": source.sql}


COMMANDS = [monitor_command]
