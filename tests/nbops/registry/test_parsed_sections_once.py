"""Issue 27: a command reads env.yaml once and parses ``registry:`` and ``gates:`` once.

Counted with tests/settings_reads.py (a profiling hook on the YAML loader and the two
section parsers). The figures before this was fixed: a build read env.yaml 2-3 times and
parsed ``registry:`` 4 times and ``gates:`` twice; gating against a champion read
env.yaml twice more (the trusted types, for the candidate and for the champion);
``nbops check`` read it twice.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbops.registry._config import parse_registry_config
from nbops.registry._parsed_sections import gates_of, registry_config_of
from nbops.registry._promotion import gate_and_promote
from settings_reads import counting_settings_reads  # tests/settings_reads.py

GATES = {"auc": "roc_auc >= 0.6", "beats_baseline": "roc_auc >= baseline_roc_auc"}
ENV = ("seed: 1\n"
       "registry:\n  model: churn\n  primary_metric: roc_auc\n"
       "gates:\n  auc: roc_auc >= 0.6\n  beats_baseline: roc_auc >= baseline_roc_auc\n")


@pytest.fixture(autouse=True)
def _fresh_parses(monkeypatch):
    """Each test starts as a new process does: no section parsed yet."""
    from nbops.registry import _parsed_sections

    monkeypatch.setattr(_parsed_sections, "_last_registry", None)
    monkeypatch.setattr(_parsed_sections, "_last_gates", None)


def _settled(path: Path) -> None:
    """Date ``path`` a minute back, as a project's env.yaml is when a command starts."""
    past = time.time() - 60
    os.utime(path, (past, past))


def test_gating_against_a_champion_reads_no_env_yaml(project, make_run):
    (project / "env.yaml").write_text(ENV)
    config = parse_registry_config({"model": "churn"})
    assert gate_and_promote(project, make_run(), config, GATES).passed  # v1: the champion
    candidate = make_run(seed=3, c=0.5)
    with counting_settings_reads() as reads:
        outcome = gate_and_promote(project, candidate, config, GATES)
    assert outcome.gates["verdict"] == "passed"
    assert outcome.gates["measured"]["champion"]["metrics"] is not None  # re-scored
    # the candidate and the champion are loaded with the build's trusted policy
    assert reads.env_reads == []
    assert len(reads.gates_parses) == 1
    rebuilt, gates = make_run(seed=4), gates_of(GATES)
    with counting_settings_reads() as reads:  # gates parsed already are not parsed again
        again = gate_and_promote(project, rebuilt, config, gates)
    assert again.gates["verdict"] == "passed" and reads.gates_parses == []


def test_each_section_is_parsed_once_across_a_builds_callbacks():
    registry = {"model": "churn", "require_card": True}
    gates = gates_of(GATES)
    with counting_settings_reads() as reads:
        first = registry_config_of(registry, "proj")   # on_render's check
        again = registry_config_of(dict(registry), "proj")  # the step, from the run's env
        assert gates_of(dict(GATES)) is gates
    assert first is again
    assert len(reads.registry_parses) == 1 and reads.gates_parses == []
    with counting_settings_reads() as reads:  # a changed value is parsed, never mistaken
        changed = registry_config_of({"model": "churn", "require_card": False}, "proj")
        other = registry_config_of({"model": "churn", "require_card": True}, "other")
    assert not changed.require_card and other.model == "churn"
    assert len(reads.registry_parses) == 2
    from nbops.core import ConfigError

    with pytest.raises(ConfigError, match="require_card"):  # 1 is not true
        registry_config_of({"model": "churn", "require_card": 1}, "proj")


def test_nbops_check_reads_env_yaml_once(tmp_path):
    from nbops.cli.main import cli

    (tmp_path / "pipeline.yaml").write_text(
        "tasks:\n  - source: fit.py\n    product: out.txt\n    params:\n      seed: '{{seed}}'\n")
    (tmp_path / "fit.py").write_text("# %% tags=['parameters']\nseed = None\n")
    (tmp_path / "env.yaml").write_text(ENV)
    with counting_settings_reads() as reads:
        result = CliRunner().invoke(cli, ["check", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(reads.env_reads) == 1, reads.env_reads
    assert len(reads.registry_parses) == 1 and len(reads.gates_parses) == 1
    (tmp_path / "env.yaml").write_text(ENV.replace(">= 0.6", "=> 0.6"))  # still checked
    result = CliRunner().invoke(cli, ["check", "--project", str(tmp_path)])
    assert result.exit_code != 0 and "gate 'auc'" in str(result.exception)


def test_shared_reads_parse_an_unchanged_file_once(tmp_path):
    from nbops.core import ProjectSettings

    env = tmp_path / "env.yaml"
    env.write_text("a: {b: 1}\n")
    _settled(env)
    with counting_settings_reads() as reads:
        first = ProjectSettings.read(env, shared=True)
        second = ProjectSettings.read(env, shared=True, mapping_required=False)
        first.values["a"]["b"] = 99  # each caller has its own copy
        assert ProjectSettings.read(env, shared=True).get("a.b") == 1
    assert second.get("a.b") == 1
    assert len(reads.env_reads) == 1
    env.write_text("a: {b: 2}\n")  # same size, another mtime: read again
    _settled(env)
    os.utime(env, (time.time() - 30, time.time() - 30))
    assert ProjectSettings.read(env, shared=True).get("a.b") == 2


def test_a_file_written_just_now_is_never_kept(tmp_path):
    """Two writes within the file system's timestamp granularity can leave the same mtime:
    the parse of a file that recent is not kept (as git treats "racy" files)."""
    from nbops.core import ProjectSettings

    env = tmp_path / "env.yaml"
    env.write_text("a: 1\n")
    with counting_settings_reads() as reads:
        ProjectSettings.read(env, shared=True)
        env.write_text("a: 2\n")
        os.utime(env, ns=(env.stat().st_atime_ns, env.stat().st_mtime_ns))
        assert ProjectSettings.read(env, shared=True).get("a") == 2
    assert len(reads.env_reads) == 2
