"""The ledger's click commands on a synthetic ledger (in-process, no build)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from nbops.cli._runs import (
    diff_command,
    gc_command,
    pin_command,
    runs_command,
    show_command,
    verify_command,
)


def _run(command, *args: str):
    return CliRunner().invoke(command, [*args], catch_exceptions=False)


def test_runs_table_and_json(project, add_run) -> None:
    first = add_run(metrics={"roc_auc": 0.91234, "f1": 0.5, "brier": 0.1, "extra": 1})
    add_run(status="failed")
    table = _run(runs_command, "--project", str(project.root)).output
    assert first["run_id"] in table and "roc_auc=0.9123" in table and "…" in table
    assert "failed" in table
    listed = json.loads(_run(runs_command, "--json", "--limit", "1",
                             "--project", str(project.root)).output)
    assert len(listed) == 1 and listed[0]["status"] == "failed"


def test_a_long_listing_prints_the_same_cells_as_the_rich_table(project, add_run,
                                                                 monkeypatch) -> None:
    """Past output.RICH_ROWS rows the table is plain columns (rich is too slow there)."""
    add_run(metrics={"roc_auc": 0.91234, "f1": 0.5, "brier": 0.1, "extra": 1})
    add_run(status="failed")
    add_run(metrics={"auc": 0.8})
    rich_table = _run(runs_command, "--project", str(project.root)).output
    monkeypatch.setattr("nbops.cli._output.RICH_ROWS", 2)
    plain = _run(runs_command, "--project", str(project.root)).output
    assert plain != rich_table  # the other renderer ran
    assert [line.split() for line in plain.splitlines()] == \
        [line.split() for line in rich_table.splitlines()]
    header, *rows = plain.splitlines()
    status_at = header.index("STATUS")
    assert all(row[status_at - 2:status_at] == "  " and row[status_at] != " " for row in rows)
    assert all(len(line) <= 160 for line in plain.splitlines())


def test_show_diff_and_json(project, add_run) -> None:
    a = add_run(metrics={"auc": 0.8})
    b = add_run(metrics={"auc": 0.9}, failure={"task": "a", "cell_index": 2, "ename": "E",
                                               "evalue": "v", "message": "task 'a' failed"})
    shown = _run(show_command, b["run_id"][:22], "--project", str(project.root)).output
    assert "failure   task 'a' failed" in shown and "auc" in shown
    manifest = json.loads(_run(show_command, "latest", "--json",
                               "--project", str(project.root)).output)
    assert manifest == b
    diffed = _run(diff_command, a["run_id"], "--project", str(project.root)).output
    assert "auc: 0.8 -> 0.9 (+0.1)" in diffed


def test_verify_exit_codes_and_pin_gc(project, add_run) -> None:
    runs = [add_run(products={"data": f"d{i}".encode()})["run_id"] for i in range(3)]
    ok = _run(verify_command, "--all", "--project", str(project.root))
    assert ok.exit_code == 0 and ok.output.count(": OK") == 3
    assert "Pinned" in _run(pin_command, runs[0], "--project", str(project.root)).output
    out = _run(gc_command, "--keep", "1", "--project", str(project.root)).output
    assert f"deleted {runs[1]}" in out and "Deleted 1 runs" in out
    project.manifest_path(runs[2]).write_text("{}")
    bad = CliRunner().invoke(verify_command, ["latest", "--project", str(project.root)])
    assert bad.exit_code == 1 and "problem" in bad.output


def test_cli_start_up_does_not_import_heavy_libraries() -> None:
    """Every command module is imported at start-up; `nbops runs` must stay under 1 s."""
    import subprocess
    import sys

    code = ("import sys, json, nbops.cli.main; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    heavy = set(json.loads(out)) & {"pandas", "numpy", "sklearn", "matplotlib", "ploomber",
                                    "papermill", "nbconvert", "jsonschema", "pyarrow"}
    assert not heavy, f"a CLI module imports {sorted(heavy)} at start-up; import it lazily"
