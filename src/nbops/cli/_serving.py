"""``nbops serve-model`` (HTTP scoring service) and ``nbops feedback`` (late labels)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from nbops.core import ConfigError

_project_option = click.option(
    "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder (default: the one holding pipeline.yaml above the current folder).",
)


def _root(project: Path | None) -> Path:
    from nbops.registry import find_root

    return find_root(project)


@click.command("serve-model")
@click.argument("ref", metavar="MODEL[@ALIAS|:VERSION]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback only unless you mean to expose it).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--log/--no-log", "log_predictions", default=True, show_default=True,
              help="Append every scored record to .nbops/predictions/MODEL/.")
@click.option("--max-body-mb", default=8.0, show_default=True, type=click.FloatRange(0.001),
              help="Refuse request bodies larger than this (413).")
@click.option("--flush-seconds", default=1.0, show_default=True, type=click.FloatRange(0.05),
              help="How often logged rows are written (what a kill -9 can lose).")
@click.option("--rotate-seconds", default=300.0, show_default=True,
              type=click.FloatRange(1.0), help="Start a new log part this often.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header is NAME (repeatable); by default "
                   "only loopback names and --host are answered (DNS rebinding).")
@click.option("--remote-poll", "remote_poll", default=2.0, show_default=True,
              type=click.FloatRange(0.0),
              help="With a team remote: seconds between reads of its registry, to follow "
                   "promotions made on other clones (0: never).")
@_project_option
def serve_model(ref: str, host: str, port: int, log_predictions: bool, max_body_mb: float,
                flush_seconds: float, rotate_seconds: float, allow_hosts: tuple[str, ...],
                remote_poll: float,
                project: Path | None) -> None:
    """Serve a registered model over HTTP: POST /predict, GET /healthz, GET /metrics.

    The service follows the alias: after `nbops promote` (here, or on any clone
    sharing the team remote) it switches to the new version without failing a
    request, and every answer names the version that scored it.
    """
    try:
        from nbops.serving import serve
    except ImportError as exc:  # the optional extra is not installed
        raise ConfigError(
            f"nbops serve-model needs the 'serve' extra ({exc.name} is not installed)",
            "pip install 'nbops[serve]'",
        ) from None
    logging.getLogger("nbops").setLevel(logging.INFO)
    if not logging.getLogger("nbops").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("nbops").addHandler(handler)
    serve(_root(project), ref, host=host, port=port, log_predictions=log_predictions,
          max_body=int(max_body_mb * 1024 * 1024), flush_seconds=flush_seconds,
          rotate_seconds=rotate_seconds, allow_hosts=allow_hosts, remote_poll=remote_poll,
          on_ready=lambda line: click.echo(line, err=True))


@click.command("feedback")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "ref", default=None,
              help="Registered model whose prediction log the labels belong to "
                   "(default: the project's model @champion).")
@click.option("--key", default=None,
              help="Column naming each outcome: request_id (plus row) or an id column of the "
                   "model (default: the first of those the file has).")
@click.option("--label", "label_column", default=None,
              help="Column holding the outcome (default: the model's target).")
@_project_option
def feedback(file: Path, ref: str | None, key: str | None, label_column: str | None,
             project: Path | None) -> None:
    """Attach outcomes that arrived later (FILE: CSV or Parquet) to the prediction log.

    `nbops monitor --log WINDOW` then reports live ROC AUC on the logged
    requests that have a label.
    """
    from nbops.core import of_version
    from nbops.registry import get_version, parse_ref
    from nbops.serving import log_dir, read_feedback_file, record_feedback

    root = _root(project)
    if ref is None:
        from nbops.registry import project_model_name

        ref = f"{project_model_name(root)}@champion"
    record = get_version(ref, root)
    schema = record["feature_schema"]
    name = parse_ref(ref).name
    frame = read_feedback_file(file)
    used, stored, skipped = record_feedback(
        log_dir(root, name), frame, target=schema.get("target") or "target",
        id_columns=list(schema.get("id_columns") or ()), key=key, label_column=label_column,
        preparation=of_version(record))
    click.echo(f"{stored:,} label(s) for {name} stored by {used}"
               + (f"; {skipped:,} row(s) without a usable label skipped" if skipped else ""))


COMMANDS = [serve_model, feedback]
