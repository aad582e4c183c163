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


DRIFT_PLUGIN = '''
import numpy as np

from nbops.monitoring import DriftOutcome, graded


class MeanShift:
    """|mean(batch) - mean(reference)| in reference standard deviations."""

    name = "mean_shift"
    kinds = ("numeric",)
    significance_tests = 0
    warn, alert = 0.2, 0.5

    def measure(self, reference, column, alpha_each, warn, alert):
        ref = reference.sorted_values
        value = float(abs(np.nanmean(column) - ref.mean()) / ref.std())
        status = graded(True, value, warn, alert)
        return DriftOutcome(value, status, f"mean shifted {value:.2f} SD")


MEAN_SHIFT = MeanShift()
'''

CHECK_A_SHIFTED_BATCH = '''
import json
import numpy as np
import pandas as pd
from nbops.monitoring import Thresholds, build_profile, check_batch, report_metrics
from nbops.monitoring._after_run import manifest_section
rng = np.random.default_rng(0)
profile = build_profile(pd.DataFrame({"x": rng.normal(size=4000)}),
                        {"features": [{"name": "x", "dtype": "float64"}]})
thresholds = Thresholds.from_mapping({"mean_shift_alert": 0.9})
report = check_batch(profile, pd.DataFrame({"x": rng.normal(0.6, 1, size=4000)}), thresholds)
doc = report.to_dict()
section = manifest_section(doc, "monitor", {}, {"path": "r.json"})
x = doc["features"]["x"]
print(json.dumps({"tests": x["tests"], "reasons": x["reasons"],
                  "metric": report_metrics(doc).get("drift_mean_shift.x"),
                  "floor": doc["thresholds"].get("mean_shift_alert"),
                  "section": section["features"]["x"].get("tests"), "count": doc["tests"]}))
'''


def test_a_plugin_drift_test_reaches_report_metrics_section_and_thresholds(tmp_path) -> None:
    site = _install_plugin(tmp_path / "site",
                           "[nbops.drift_tests]\nmean_shift = nbops_demo_plugin:MEAN_SHIFT\n",
                           DRIFT_PLUGIN)
    done = _python(site, CHECK_A_SHIFTED_BATCH)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    shift = seen["tests"]["mean_shift"]
    assert 0.5 < shift < 0.7
    assert seen["metric"] == shift and seen["section"] == {"mean_shift": shift}
    assert seen["floor"] == 0.9  # env.yaml's floor, recorded with the thresholds
    assert any(reason.startswith("mean shifted") for reason in seen["reasons"])
    assert seen["count"] == 3  # no significance test added: alpha split as before
    without = _python(tmp_path, CHECK_A_SHIFTED_BATCH)
    assert json.loads(without.stdout.strip().splitlines()[-1])["tests"] == {}


def test_a_drift_test_named_like_a_core_check_is_refused(tmp_path) -> None:
    site = _install_plugin(tmp_path / "site",
                           "[nbops.drift_tests]\npsi = nbops_demo_plugin:MEAN_SHIFT\n",
                           DRIFT_PLUGIN.replace('name = "mean_shift"', 'name = "psi"'))
    done = _python(site, "from nbops.monitoring._drift_tests import drift_tests\n"
                         "drift_tests()\n")
    assert "the nbops plug-in 'psi' in nbops.drift_tests has a name that" in done.stderr


def test_the_run_page_and_the_cli_table_show_each_added_test_as_a_column() -> None:
    from nbops.reports._run_sections import monitoring_section
    from nbops.reports._section_tables import monitoring_table

    section = {"verdict": "warn", "summary": "x drifted", "features": {
        "x": {"kind": "numeric", "status": "warn", "psi": 0.1, "ks": 0.2,
              "missing_current": 0.0, "unseen_share": 0.0, "tests": {"mean_shift": 0.61}},
        "y": {"kind": "numeric", "status": "ok", "psi": 0.0, "ks": 0.0,
              "missing_current": 0.0, "unseen_share": 0.0}}}
    html = monitoring_section(section)
    assert "<th>mean_shift</th>" in html and "0.61" in html
    table = monitoring_table(section)[-1]
    assert [column.header for column in table.columns][-1] == "mean_shift"


def test_the_installed_distributions_are_parsed_only_when_one_names_the_group(
        tmp_path, monkeypatch) -> None:
    """A text search of the entry_points.txt files decides whether importlib.metadata's
    (slower) scan runs: not for a group no distribution names; always for one that does,
    and whenever a sys.path entry is a file (a zip) it cannot search."""
    from nbops.core import _plugins

    scanned: list[str] = []

    def scan(group):
        scanned.append(group)
        return ()

    monkeypatch.setattr(_plugins, "entry_points", scan)
    site = _install_plugin(tmp_path / "site", ENTRY_POINTS)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(site)])
    # only the standard finders: a finder another test or package added that finds
    # distributions elsewhere makes the search say "cannot tell" and scan
    from importlib.machinery import BuiltinImporter, FrozenImporter, PathFinder
    monkeypatch.setattr(sys, "meta_path", [BuiltinImporter, FrozenImporter, PathFinder])
    assert _plugins.load_plugins.__wrapped__("nbops.no_such_group") == ()
    assert scanned == []
    assert _plugins.load_plugins.__wrapped__("nbops.post_close_steps") == ()
    assert scanned == ["nbops.post_close_steps"]
    (tmp_path / "plugins.zip").write_bytes(b"")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "plugins.zip"), str(site)])
    _plugins.load_plugins.__wrapped__("nbops.no_such_group")
    assert scanned == ["nbops.post_close_steps", "nbops.no_such_group"]
