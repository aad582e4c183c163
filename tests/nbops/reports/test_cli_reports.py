import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from reports_fixture import make_run, run_id_at

from nbops.cli.main import cli


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "proj"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    make_run(root / "reports", run_id_at(1))
    make_run(root / "reports", run_id_at(2), status="failed")
    return root


def test_report_renders_named_runs_and_the_site(project):
    result = CliRunner().invoke(cli, ["report", "latest", "--json", "--project", str(project)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["runs"][0]["run_id"] == run_id_at(2)
    assert (project / "reports" / "index.html").is_file()
    assert set(data["runs"][0]["notebook_pages"]) == {"load", "features", "train"}
    assert not (project / "reports" / "runs" / run_id_at(1) / "index.html").exists()


def test_report_without_runs_renders_runs_missing_their_page(project):
    site = (project / "reports" / "index.html").read_text()
    assert f'href="runs/{run_id_at(2)}/index.html"' in site
    assert f'href="runs/{run_id_at(1)}/index.html"' not in site  # no page, no dead link
    assert f"nbops report {run_id_at(1)}" in site
    result = CliRunner().invoke(cli, ["report", "--json", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert [r["run_id"] for r in json.loads(result.output)["runs"]] == [run_id_at(1)]
    site = (project / "reports" / "index.html").read_text()
    assert f'href="runs/{run_id_at(1)}/index.html"' in site


def test_report_all_with_hidden_code(project):
    result = CliRunner().invoke(cli, ["report", "--all", "--hide-code", "--project", str(project)])
    assert result.exit_code == 0, result.output
    page = (project / "reports" / "runs" / run_id_at(1) / "html" / "train.html").read_text()
    assert "print(threshold)" not in page and "0.5" in page


def test_publish_html_and_zip(project, tmp_path):
    runner = CliRunner()
    html = tmp_path / "share.html"
    result = runner.invoke(cli, ["publish", run_id_at(1)[:16], "-o", str(html), "--json",
                                 "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bytes"] == html.stat().st_size > 10_000
    archive = tmp_path / "share.zip"
    result = runner.invoke(cli, ["publish", "latest", "-o", str(archive),
                                 "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert f"{run_id_at(2)}/index.html" in zipfile.ZipFile(archive).namelist()


def test_publish_to_an_unknown_format_says_how_to_fix_it(project, tmp_path):
    nbops = str(Path(sys.executable).parent / "nbops")
    result = subprocess.run([nbops, "publish", "latest", "-o", str(tmp_path / "x.pdf"),
                             "--project", str(project)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "FILE.html" in result.stderr and "DIR.zip" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_of_reports_does_not_import_nbconvert():
    code = ("import sys, nbops.reports, nbops.reports._render, nbops.cli._reports; "
            "print('nbconvert' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
