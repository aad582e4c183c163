"""Bad input fails with one clear sentence (problem + fix) at the end of the output.

Each bad-data case is a real ``ploomber build`` (it fails in the first step,
so it is quick).  Malformed YAML is named by ``nbops check`` and by a plain
``ploomber build`` alike: Ploomber itself would crash inside its env.yaml loader
before any nbops code runs, so nbops checks the YAML as Ploomber imports its
loaders (``nbops.adapters.ploomber_config_errors``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from forked_commands import ForkedCommands, forked_commands

pytestmark = pytest.mark.integration

NBOPS = Path(sys.executable).parent / "nbops"

# case: (file content, None for no file; extra build args; expected sentence)
CASES: dict[str, tuple[str | None, list[str], str]] = {
    "missing_file": (
        None,
        ["--env--data--path", "{data}"],
        "DataError: data file {data} does not exist. Fix: pass an existing CSV or "
        "Parquet file with --env--data--path FILE",
    ),
    "unknown_target": (
        "id,tenure,Churn\n1,3,Yes\n2,40,No\n3,12,Yes\n",
        ["--env--data--path", "{data}", "--env--data--target", "churn"],
        "DataError: target column 'churn' is not in the data (did you mean 'Churn'?); "
        "columns are: id, tenure, Churn. Fix: pass the label column with "
        "--env--data--target COLUMN",
    ),
    "empty_file": (
        "",
        ["--env--data--path", "{data}"],
        "DataError: data file {data} is empty. Fix: pass a file with a header row and data rows",
    ),
    "non_binary_target": (
        "tenure,plan\n1,basic\n2,plus\n3,premium\n4,basic\n",
        ["--env--data--path", "{data}", "--env--data--target", "plan"],
        "DataError: target column 'plan' has 3 distinct value(s) ('basic', 'plus', 'premium') "
        "but a churn model needs exactly two (e.g. yes/no or 0/1). Fix: choose a binary column",
    ),
    "two_rows": (
        "tenure,churn\n1,yes\n2,no\n",
        ["--env--data--path", "{data}"],
        "DataError: the data has 2 row(s) with a 'churn' label, but a churn model needs at least "
        "50 to train and evaluate. Fix: pass a file with at least 50 labelled rows",
    ),
    "one_row": (
        "tenure,churn\n1,yes\n",
        ["--env--data--path", "{data}"],
        "DataError: the data has 1 row(s) with a 'churn' label, but a churn model needs at least "
        "50",
    ),
}


@pytest.fixture(scope="module")
def commands() -> Iterator[ForkedCommands]:
    """Builds and checks forked from one warm zygote (see forked_commands.py)."""
    with forked_commands() as runner:
        yield runner


def _tail(proc: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-lines:])


@pytest.fixture(scope="module")
def failed_builds(tmp_path_factory, copy_project, commands) -> dict[str, tuple[str, str]]:
    """Every bad-data build: case -> (last lines of output, expected sentence)."""
    jobs = {}
    for case, (content, args, sentence) in CASES.items():
        project = copy_project(tmp_path_factory.mktemp(case))
        data = project / f"{case}.csv"
        if content is not None:
            data.write_text(content)
        jobs[case] = (project, [a.format(data=data) for a in args], sentence.format(data=data))
    procs = {
        case: commands.build(project, *argv, check=False, rows=500)
        for case, (project, argv, _) in jobs.items()
    }
    return {case: (_tail(proc), jobs[case][2]) for case, proc in procs.items()} | {
        f"{case}:proc": (proc.stdout + proc.stderr, str(proc.returncode))
        for case, proc in procs.items()
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_data_fails_with_one_sentence_at_the_end(failed_builds, case: str) -> None:
    output, returncode = failed_builds[f"{case}:proc"]
    assert returncode != "0"
    assert "Traceback (most recent call last)" not in output, output[-4000:]
    tail, sentence = failed_builds[case]
    assert sentence in tail, tail


def _nbops_check(commands: ForkedCommands, project: Path) -> subprocess.CompletedProcess[str]:
    return commands.run([NBOPS, "check", "--project", str(project)], project, dict(os.environ))


def test_valid_project_passes_check(tmp_path: Path, copy_project, commands) -> None:
    proc = _nbops_check(commands, copy_project(tmp_path / "project"))
    assert proc.returncode == 0, proc.stderr
    assert "OK: pipeline.yaml (5 tasks: ingest, validate, features, train, evaluate)" in proc.stdout


@pytest.mark.parametrize(
    ("name", "text", "sentence"),
    [
        (
            "env.yaml",
            "data:\n  path: null\n  target: [churn\nseed: 1\n",
            "env.yaml is not valid YAML at line 4, column 5: expected ',' or ']'",
        ),
        (
            "pipeline.yaml",
            "tasks:\n  - source: notebooks/ingest.py\n    name: ingest\n   product: x\n",
            "pipeline.yaml is not valid YAML at line 4, column 4: expected <block end>",
        ),
    ],
)
def test_malformed_yaml_is_named_with_line_and_fix(
    tmp_path: Path, copy_project, commands, name: str, text: str, sentence: str
) -> None:
    project = copy_project(tmp_path / "project")
    (project / name).write_text(text)
    proc = _nbops_check(commands, project)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert sentence in lines[0]
    assert f"Fix: correct the {name} syntax there" in lines[0]

    build = subprocess.run(  # a fresh interpreter: the .pth start-up hook is what is tested
        [str(NBOPS.parent / "ploomber"), "build"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PLOOMBER_STATS_ENABLED": "false"},
    )
    assert build.returncode == 1
    output = (build.stdout + build.stderr).strip().splitlines()
    assert "Traceback" not in build.stderr, build.stderr
    assert sentence in output[-1] and f"Fix: correct the {name} syntax there" in output[-1]


def test_env_yaml_that_is_not_a_mapping_is_named(tmp_path: Path, copy_project, commands) -> None:
    project = copy_project(tmp_path / "project")
    (project / "env.yaml").write_text("- just\n- a list\n")
    build = commands.build(project, check=False)
    assert build.returncode == 1
    assert "Traceback" not in build.stderr, build.stderr
    assert "env.yaml holds a list, not a mapping of keys to values" in build.stderr


@pytest.mark.parametrize(("override", "sentence"), [
    (["--env--data--rows", "-5"], "parameter data.rows is -5, but it must be between 100 and "
     "10000000. Fix: pass a value between 100 and 10000000 with --env--data--rows VALUE"),
    (["--env--model--max_iter", "abc"], "parameter model.max_iter is 'abc', which is not an "
     "integer. Fix: pass an integer with --env--model--max_iter VALUE"),
])
def test_bad_parameters_stop_the_build_before_any_task_runs(
    tmp_path: Path, copy_project, commands, override: list[str], sentence: str
) -> None:
    project = copy_project(tmp_path / "project")
    build = commands.build(project, *override, check=False, rows=None)
    output = (build.stdout + build.stderr).strip()
    assert build.returncode == 1
    assert "Traceback" not in output, output[-3000:]
    assert sentence in output.splitlines()[-2] or sentence in output.splitlines()[-1], output
    assert not (project / ".nbops" / "products").exists()  # no task ran
    assert not (project / "reports").exists()  # no run was recorded
