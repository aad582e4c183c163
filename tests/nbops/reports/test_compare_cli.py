"""``nbops compare`` / ``diff --markdown`` / ``summary`` / ``show``, and ``--json`` errors.

Markdown outputs are compared with golden files in ``golden/`` (regenerate with
``NBOPS_UPDATE_GOLDEN=1`` after an intended change, and review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from reports_fixture import HASH, XSS_SCRIPT, make_run, run_id_at

from nbops.cli.main import cli, main

GOLDEN = Path(__file__).parent / "golden"
OTHER_HASH = "blake3:" + "1" * 64


def _provenance(packages: dict[str, str], source: str = HASH) -> dict:
    return {"git": {"commit": "0123abc", "branch": "main", "dirty": False, "diff_hash": None},
            "python": "3.11.9", "platform": "Linux", "packages": packages,
            "lock_hash": HASH, "sources": {"train": source},
            "inputs": {"data/customers.csv": HASH}, "seeds": {"seed": 7}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare") / "proj"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    reports = root / "reports"
    env = {"seed": 7, "model": {"max_iter": 100, "learning_rate": 0.05},
           "registry": {"model": "churn"}}
    make_run(reports, run_id_at(1), metrics={"roc_auc": 0.812345, "f1": 0.5},
             extra={"env": env, "provenance": _provenance({"pandas": "3.1.1", "numpy": "2.4.6"})})
    make_run(reports, run_id_at(2), metrics={"roc_auc": 0.8301, "f1": 0.52},
             extra={"env": {**env, "model": {"max_iter": 300, "learning_rate": 0.05}},
                    "provenance": _provenance({"pandas": "3.1.1", "numpy": "2.4.6"},
                                              OTHER_HASH)})
    make_run(reports, run_id_at(3), metrics={"roc_auc": 0.79, "f1": 0.49},
             extra={"env": {**env, "seed": 8, "note": f"x|{XSS_SCRIPT}"},
                    "provenance": _provenance({"pandas": "3.1.2", "numpy": "2.4.6"})})
    return root


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NBOPS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _invoke(project: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--project", str(project)])
    assert result.exit_code == 0, result.output
    return result.output


def test_compare_three_runs_markdown_golden(project):
    out = _invoke(project, "compare", run_id_at(1), run_id_at(2), run_id_at(3), "--markdown")
    _golden("compare_three.md", out)
    assert "<script>" not in out and "\\|" in out  # table cells escaped


def test_diff_markdown_golden(project):
    _golden("diff_two.md", _invoke(project, "diff", run_id_at(1), run_id_at(2), "--markdown"))


def test_compare_table_highlights_only_when_a_terminal(project):
    out = _invoke(project, "compare", run_id_at(1), run_id_at(2))
    assert "\x1b[" not in out  # not a terminal: no colour codes
    assert "model.max_iter" in out and "300" in out and "0.8301 (+0.0178)" in out
    data = json.loads(_invoke(project, "compare", run_id_at(1), run_id_at(2), "--json"))
    params = next(s for s in data["sections"] if s["title"] == "Parameters")
    row = next(r for r in params["rows"] if r["name"] == "model.max_iter")
    assert row == {"name": "model.max_iter", "values": [100, 300], "differs": True}


def test_summary_markdown_and_json(project):
    out = _invoke(project, "summary", run_id_at(2), "--markdown")
    assert out.startswith(f"### ✅ nbops run `{run_id_at(2)}`: succeeded")
    assert "| roc_auc | 0.8301 | +0.0178 | - |" in out
    data = json.loads(_invoke(project, "summary", "latest", "--json"))
    assert data["run_id"] == run_id_at(3) and data["previous_run"] == run_id_at(2)


def test_show_prints_rounded_numbers(project):
    out = _invoke(project, "show", run_id_at(1))
    assert "0.8123" in out and "0.812345" not in out


def test_json_errors_are_json_on_stdout(project, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["summary", "no-such-run", "--json", "--project", str(project)])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert error["ok"] is False and error["error"]["type"] == "LedgerError"
    assert "no-such-run" in error["error"]["problem"] and error["error"]["fix"]
    with pytest.raises(SystemExit):
        main(["compare", run_id_at(1), "--json", "--project", str(project)])
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "ConfigError"


def test_runs_list_shows_experiment_and_monitoring_verdict(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run(root / "reports", run_id_at(1), metrics={"monitor_verdict": 2.0}, extra={
        "monitoring": {"verdict": "alert", "champion": {"model": "churn", "version": 1}}})
    out = _invoke(root, "runs")
    row = next(line for line in out.splitlines() if line.startswith(run_id_at(1)))
    assert "succeeded alert" in " ".join(row.split()) and "churn · monitoring" in row
    assert "\x1b[" not in out


def test_diff_of_one_run_compares_it_with_the_run_before_it(project):
    """`nbops diff latest` used to compare the latest run with itself (nothing changed)."""
    data = json.loads(_invoke(project, "diff", "latest", "--json"))
    assert (data["a"], data["b"]) == (run_id_at(2), run_id_at(3))
    assert data["metrics"]["roc_auc"]["a"] == pytest.approx(0.8301)
    data = json.loads(_invoke(project, "diff", run_id_at(2), "--json"))
    assert (data["a"], data["b"]) == (run_id_at(2), run_id_at(3))  # an older run: vs latest
    text = _invoke(project, "diff", "latest")
    assert text.startswith(f"{run_id_at(2)} -> {run_id_at(3)}")


def test_diff_of_the_only_run_says_there_is_nothing_to_compare(tmp_path, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run(root / "reports", run_id_at(1), metrics={"roc_auc": 0.8})
    with pytest.raises(SystemExit) as exit_info:
        main(["diff", "latest", "--project", str(root)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"Run {run_id_at(1)} is the only run" in err and "Traceback" not in err


def test_a_task_a_build_did_not_run_again_is_reused_in_every_place(tmp_path):
    """The summary and the pages said "reused" where `show`, `runs` and `diff` said "skipped"."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run(root / "reports", run_id_at(1))
    make_run(root / "reports", run_id_at(2), skipped_from=run_id_at(1))
    shown = _invoke(root, "show", "latest")
    load = next(line for line in shown.splitlines() if line.strip().startswith("load "))
    assert "reused" in load and "skipped" not in load, load
    listed = _invoke(root, "runs")
    assert "REUSED" in listed and "SKIP" not in listed, listed
    diffed = _invoke(root, "diff", "latest")
    assert "load: 'executed' -> 'reused'" in diffed, diffed
    assert "skipped" not in shown + listed + diffed
