"""Airflow CLI commands, one per line of standard input, in one Airflow process.

Run with the Airflow environment's Python (``.cache/airflow-venv``), not the project's:
each line is a JSON list of ``airflow`` arguments (``["dags", "test", "nbops_project",
"-c", "{...}"]``), executed as ``airflow`` itself executes them (``airflow.__main__``:
the same parser, the same command function). After each command a line
``@@airflow-exit CODE`` (the exit code ``airflow`` would have returned) follows its output.

Why: every ``airflow`` start costs its imports, the DAG bag and the in-process execution
API; the export tests run several commands in a row, and pay that once.
"""

from __future__ import annotations

import json
import sys
import traceback

EXIT_MARK = "@@airflow-exit "


def _run(parser: object, argv: list[str]) -> int:
    from airflow.configuration import write_default_airflow_configuration_if_needed

    args = parser.parse_args(argv)  # type: ignore[attr-defined]
    write_default_airflow_configuration_if_needed()
    try:
        args.func(args)
    except SystemExit as exc:  # `dags test` of a failed run: SystemExit("DagRun failed")
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    except Exception:  # noqa: BLE001 - reported as `airflow` reports it, then the next command
        traceback.print_exc()
        return 1
    return 0


def main() -> None:
    from airflow.cli import cli_parser

    parser = cli_parser.get_parser()
    for line in sys.stdin:
        if line.strip():
            code = _run(parser, json.loads(line))
            sys.stderr.flush()
            sys.stdout.write(f"\n{EXIT_MARK}{code}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
