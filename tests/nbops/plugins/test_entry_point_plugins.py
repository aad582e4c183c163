"""A plug-in package adds a gate operator and a post-close step without editing nbops.

The plug-in is a real (tiny) installed distribution: a module and its ``.dist-info``
folder (``METADATA``, ``entry_points.txt``) in a folder put on ``PYTHONPATH`` of the
processes the tests start, exactly what ``pip install`` leaves in site-packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from project_files import build_environment, copy_project_files, run_build_process

PLUGIN = '''
import json


class Near:
    """`METRIC ~= THRESHOLD`: within 1.0 of it."""

    symbol = "~="

    @staticmethod
    def compare(value, threshold):
        return abs(value - threshold) <= 1.0


NEAR = Near()


class AuditStep:
    name = "audit"

    def __init__(self):
        self.prepared_for = None

    def prepare(self, ctx):
        self.prepared_for = ctx.run_id

    def run(self, ctx):
        gates = ctx.manifest.get("gates", {})
        (ctx.project.root / "audit.json").write_text(json.dumps({
            "run_id": ctx.run_id, "prepared_for": self.prepared_for,
            "outcome": ctx.outcome, "gates": gates.get("verdict")}))

    def close(self):
        pass
'''


def _install_plugin(site: Path, entry_points: str, module: str = PLUGIN) -> Path:
    """Write the ``nbops-demo-plugin`` distribution into ``site`` (a sys.path folder)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "nbops_demo_plugin.py").write_text(module)
    info = site / "nbops_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nbops-demo-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return site


ENTRY_POINTS = """[nbops.gate_operators]
near = nbops_demo_plugin:NEAR

[nbops.post_close_steps]
audit = nbops_demo_plugin:AuditStep
"""


def _python(site: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**build_environment(), "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_plugin_operator_parses_and_decides_a_gate(tmp_path) -> None:
    site = _install_plugin(tmp_path / "site", ENTRY_POINTS)
    done = _python(site, (
        "from nbops.registry._gates import parse_gates, evaluate_gates\n"
        "gates = parse_gates({'near': 'auc ~= 0.5', 'far': 'auc ~= 3'})\n"
        "print(evaluate_gates(gates, {'auc': 0.9}, {}, None)[1])\n"))
    assert done.returncode == 0, done.stderr
    assert "verdict='passed'" in done.stdout and "verdict='failed'" in done.stdout
    assert "needs ~= 0.5" in done.stdout


def test_without_the_plugin_the_same_gate_is_refused(tmp_path) -> None:
    done = _python(tmp_path, "from nbops.registry._gates import parse_gates\n"
                             "parse_gates({'near': 'auc ~= 0.5'})\n")
    assert "which is not a comparison" in done.stderr


@pytest.mark.parametrize(("entry_points", "module", "said"), [
    ("[nbops.gate_operators]\nnear = nbops_demo_missing:NEAR\n", PLUGIN,
     "the nbops plug-in 'near' (nbops.gate_operators = 'nbops_demo_missing:NEAR', from "
     "nbops-demo-plugin 0.1) failed to load: ModuleNotFoundError"),
    ("[nbops.gate_operators]\nge = nbops_demo_plugin:GE\n",
     "class GE:\n    symbol = '>='\n    compare = staticmethod(max)\n",
     "the nbops plug-in 'ge' in nbops.gate_operators reuses the operator '>='"),
    ("[nbops.gate_operators]\nnear = nbops_demo_plugin:NEAR\n", "NEAR = 3\n",
     "the nbops plug-in 'near' in nbops.gate_operators is not a gate operator"),
])
def test_a_broken_plugin_is_refused_in_one_sentence(tmp_path, entry_points, module,
                                                    said) -> None:
    site = _install_plugin(tmp_path / "site", entry_points, module)
    done = _python(site, (
        "from nbops.core import ConfigError\n"
        "from nbops.registry._gates import parse_gates\n"
        "try:\n    parse_gates({'a': 'auc >= 0.5'})\n"
        "except ConfigError as exc:\n    print(exc)\n"))
    assert done.returncode == 0, done.stderr
    assert said in done.stdout


@pytest.mark.integration
def test_a_build_uses_the_plugins_gate_and_runs_its_step(tmp_path, monkeypatch) -> None:
    site = _install_plugin(tmp_path / "site", ENTRY_POINTS)
    root = copy_project_files(tmp_path / "project")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    env_yaml = root / "env.yaml"
    env_yaml.write_text(env_yaml.read_text().replace(
        "gates:\n", "gates:\n  near_baseline: roc_auc ~= baseline_roc_auc\n", 1))
    monkeypatch.setattr("project_files.build_environment",
                        lambda: {**build_environment(), "PYTHONPATH": str(site)})
    run_build_process(root)
    run = next(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    manifest = json.loads((run / "manifest.json").read_text())
    near = next(r for r in manifest["gates"]["results"] if r["name"] == "near_baseline")
    assert near["verdict"] == "passed" and "needs ~=" in near["detail"]
    audit = json.loads((root / "audit.json").read_text())
    assert audit == {"run_id": manifest["run_id"], "prepared_for": manifest["run_id"],
                     "outcome": "succeeded", "gates": "passed"}
