"""Ploomber features a project may use, each recorded fully by ``nbops init`` + ``ploomber build``.

Fixture projects (tests/fixtures/), each copied, built once without nbops
(the exit status nbops must not change), then ``nbops init`` and built with real
kernels, once or more per module:

* ``ploomber_formats``: a percent script whose executed notebook is saved as
  HTML (with a second product), a jupytext Markdown notebook, an ``.ipynb``
  saved as Markdown, and a shell script writing a folder;
* ``ploomber_sql_grid``: Python functions (the module as source), SQLUpload /
  SQLScript / SQLDump on SQLite, a grid, a serializer and unserializer, several
  products per task, a folder product, Ploomber's placeholders and a
  ``ScriptRunner`` script; no notebook;
* ``ploomber_failures``: a function that raises, stops the build early
  (``DAGBuildEarlyStop``) or is refused by its task hook, and a notebook saved
  as HTML that fails in a cell, chosen with ``--env--mode``;
* ``ploomber_factory``: a DAG made by a Python factory (``location:``).

Every complete run has a page for every executed notebook, passes ``nbops
verify``, and a rebuild with nothing to do is recorded.
"""

from __future__ import annotations

import getpass
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from forked_commands import ForkedCommands, forked_commands

from nbops.core import hash_file
from project_files import BIN, build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIXTURES = Path(__file__).parents[1] / "fixtures"


COMMANDS: list[ForkedCommands] = []  # the module's command zygote, while its tests run


@pytest.fixture(scope="module", autouse=True)
def commands() -> Iterator[ForkedCommands]:
    """Every build and nbops command of the module forked from one warm zygote (one
    Ploomber import instead of one per command; see forked_commands.py)."""
    with forked_commands() as runner:
        COMMANDS.append(runner)
        yield runner
        COMMANDS.remove(runner)


def run(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return COMMANDS[-1].run([BIN / argv[0], *argv[1:]], project, build_environment(),
                            timeout=600)


def copied(tmp_path_factory: pytest.TempPathFactory, fixture: str, name: str) -> Path:
    project = tmp_path_factory.mktemp(name) / fixture
    shutil.copytree(FIXTURES / fixture, project)
    return project


def manifests(project: Path) -> list[dict[str, Any]]:
    runs = sorted(p for p in (project / "reports" / "runs").iterdir() if p.is_dir())
    return [json.loads((p / "manifest.json").read_text()) for p in runs]


def built(tmp_path_factory: pytest.TempPathFactory, fixture: str, *,
          git: bool = False) -> dict[str, Any]:
    """Build a copy without nbops, then another copy with nbops twice (the second: no-op)."""
    vanilla = copied(tmp_path_factory, fixture, "vanilla")
    project = copied(tmp_path_factory, fixture, "nbops")
    for folder in (vanilla, project) if git else ():
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
        subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                        "commit", "-qm", "fixture"], cwd=folder, check=True)
    without = run(vanilla, "ploomber", "build")
    init = run(project, "nbops", "init")
    assert init.returncode == 0, init.stdout + init.stderr
    first = run(project, "ploomber", "build")
    second = run(project, "ploomber", "build")
    return {"project": project, "without": without, "first": first, "second": second}


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    return built(tmp_path_factory, "ploomber_formats")


@pytest.fixture(scope="module")
def sql_grid(tmp_path_factory):
    return built(tmp_path_factory, "ploomber_sql_grid", git=True)


# ------------------------------------------------------------------ notebook formats

def test_nbops_adds_no_failure_and_a_no_op_rebuild_is_recorded(formats, sql_grid) -> None:
    for state in (formats, sql_grid):
        assert state["without"].returncode == 0, state["without"].stderr[-3000:]
        for build in ("first", "second"):
            assert state[build].returncode == 0, state[build].stderr[-3000:]
        first, second = manifests(state["project"])
        assert first["status"] == second["status"] == "succeeded"
        assert {t["status"] for t in first["tasks"].values()} == {"executed"}
        assert {t["status"] for t in second["tasks"].values()} == {"skipped"}
        assert {t["produced_by"] for t in second["tasks"].values()} == {first["run_id"]}
        verify = run(state["project"], "nbops", "verify", "--all")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert verify.stdout.count(": OK (") == 2
        # nothing ran: its page and the site are rendered once, at the end, and final
        run_dir = state["project"] / "reports" / "runs" / second["run_id"]
        assert "<!--nbops:live-->" not in (run_dir / "index.html").read_text()
        assert json.loads((run_dir / "live.json").read_text())["final"]
        assert second["run_id"] in (state["project"] / "reports" / "index.html").read_text()


@pytest.mark.parametrize("task, product, text", [
    ("load", "output/load.html", "wrote 20 rows"),  # saved as HTML
    ("explore", "output/explore.ipynb", '["20"]'),  # a .md notebook (len(rows))
    ("plot", "output/plot.md", "2470"),  # an .ipynb saved as Markdown
])
def test_every_executed_notebook_is_recorded_with_its_page_whatever_its_format(
        formats, task, product, text) -> None:
    project: Path = formats["project"]
    assert "could not be rendered" not in formats["first"].stderr
    for manifest in manifests(project):  # executed, then reused from the first run
        run_dir = project / "reports" / "runs" / manifest["run_id"]
        entry = manifest["tasks"][task]
        copy = run_dir / entry["notebook"]["path"]
        notebook = json.loads(copy.read_text())  # the executed notebook, not the HTML
        assert notebook["nbformat"] == 4
        assert hash_file(copy) == entry["notebook"]["hash"]
        outputs = json.dumps([cell.get("outputs", []) for cell in notebook["cells"]])
        assert text in outputs  # executed: its outputs are there
        page = run_dir / "html" / f"{task}.html"
        assert text.strip('["]') in page.read_text()
        assert (run_dir / "index.html").is_file()
        # the product is what Ploomber wrote, in its own format, stored as is
        assert entry["products"]["nb" if task != "explore" else "product"]["hash"] == \
            hash_file(project / product)
    if product.endswith(".html"):
        assert (project / product).read_text().lstrip().lower().startswith("<!doctype html")


def test_report_renders_again_without_a_traceback(formats) -> None:
    project: Path = formats["project"]
    first = manifests(project)[0]["run_id"]
    result = run(project, "nbops", "report", first)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "(+3 notebook pages, 1 task pages)" in result.stdout  # split.sh has its page


def test_a_folder_product_is_stored_file_by_file_and_checked_out(formats) -> None:
    project: Path = formats["project"]
    product = manifests(project)[0]["tasks"]["split"]["products"]["product"]
    assert product["path"] == "output/parts" and product["kind"] == "folder"
    assert product["files"] == {
        name: {"hash": hash_file(project / "output/parts" / name),
               "size": (project / "output/parts" / name).stat().st_size}
        for name in ("part-aa", "part-ab")}
    shutil.rmtree(project / "output" / "parts")
    result = run(project, "nbops", "checkout", "latest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (project / "output/parts").iterdir()) == ["part-aa", "part-ab"]
    assert hash_file(project / "output/parts/part-ab") == product["files"]["part-ab"]["hash"]


# -------------------------------------------------------- functions, SQL, grid, serializer

def test_function_and_sql_sources_are_recorded_with_their_files(sql_grid) -> None:
    project: Path = sql_grid["project"]
    tasks = manifests(project)[0]["tasks"]
    assert set(tasks) == {"numbers", "upload", "doubled", "dump", "scaled-0", "scaled-1",
                          "total", "split", "count"}
    assert tasks["count"]["products"]["product"]["hash"] == hash_file(project / "output/count.txt")
    assert (project / "output/count.txt").read_text() == "25 numbers\n"  # a ScriptRunner
    for name, path in [("numbers", "tasks/make.py"), ("scaled-1", "tasks/make.py"),
                       ("count", "scripts/count.py"),
                       ("total", "tasks/make.py"), ("doubled", "sql/doubled.sql"),
                       ("dump", "sql/dump.sql"), ("upload", "output/numbers.csv")]:
        assert tasks[name]["source"]["path"] == path, name
        assert tasks[name]["source"]["hash"] == hash_file(project / path), name
    check = run(project, "nbops", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "numbers, upload" in check.stdout


def test_grid_serializer_and_several_products_are_stored(sql_grid) -> None:
    project: Path = sql_grid["project"]
    tasks = manifests(project)[0]["tasks"]
    stored = [product["path"] for name in ("scaled-0", "scaled-1", "total", "split")
              for product in tasks[name]["products"].values()]
    assert sorted(stored) == ["output/even.csv", "output/odd.csv",
                                       "output/scaled-2-0.csv", "output/scaled-3-1.csv",
                                       "output/total.json"]
    for name in ("scaled-0", "scaled-1", "total", "split"):
        for product in tasks[name]["products"].values():
            assert product["hash"] == hash_file(project / product["path"])
    assert json.loads((project / "output/total.json").read_text()) == {"total": 300}
    assert manifests(project)[0]["params"]["scaled-1"] == {"factor": 3}


def test_sql_tables_are_named_said_once_and_not_claimed_verified(sql_grid) -> None:
    project: Path = sql_grid["project"]
    tasks = manifests(project)[0]["tasks"]
    assert tasks["doubled"]["products"]["product"] == {
        "path": "doubled (table)", "hash": None, "size": None, "kind": "external"}
    assert sql_grid["first"].stderr.count("are not files (numbers (table), doubled (table))") \
        == 1
    verify = run(project, "nbops", "verify")
    assert "2 product(s) that are not files" in verify.stdout and "not checked" in verify.stdout
    dump = tasks["dump"]["products"]["product"]  # SQLDump with chunks: a folder
    assert dump["kind"] == "folder" and sorted(dump["files"]) == ["0.csv", "1.csv", "2.csv"]


def test_placeholders_are_recorded_as_ploomber_resolved_them(sql_grid) -> None:
    project: Path = sql_grid["project"]
    params = manifests(project)[0]["params"]["numbers"]
    assert params == {"rows": 25, "owner": getpass.getuser(), "where": str(project),
                      "root": str(project), "branch": "main"}
    assert manifests(project)[0]["tasks"]["numbers"]["products"]["product"]["path"] == \
        "output/numbers.csv"  # '{{here}}/output/numbers.csv'


def test_a_dag_made_by_a_factory_is_recorded_with_its_function_sources(
        tmp_path_factory) -> None:
    project = copied(tmp_path_factory, "ploomber_factory", "factory")
    check = run(project, "nbops", "check")
    assert check.returncode == 0 and "made by factory.make" in check.stdout, check.stdout
    for _ in range(2):
        build = run(project, "ploomber", "build")
        assert build.returncode == 0, build.stderr[-2000:]
    first, second = manifests(project)
    assert first["tasks"]["total"]["source"] == {"path": "factory.py",
                                                 "hash": hash_file(project / "factory.py")}
    assert first["tasks"]["total"]["products"]["product"]["hash"] == \
        hash_file(project / "output/total.txt")
    assert {t["status"] for t in second["tasks"].values()} == {"skipped"}
    assert run(project, "nbops", "verify", "--all").returncode == 0
    page = project / "reports/runs" / first["run_id"] / "html" / "total.html"
    assert "PythonCallable" in page.read_text()  # a function task of a factory has its page


# ------------------------------------------------------------ pages of tasks that are not notebooks

def _text(html_page: str) -> str:
    """The visible text of a page (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", html_page))


def task_pages(project: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """Each task's page (``html/<task>.html``), by task, as text; a page missing is ``""``."""
    run_dir = project / "reports" / "runs" / manifest["run_id"]
    return {name: (run_dir / "html" / f"{name}.html").read_text()
            if (run_dir / "html" / f"{name}.html").is_file() else ""
            for name in manifest["tasks"]}


@pytest.mark.parametrize("state, kinds", [
    ("formats", {"split": "ShellScript"}),
    ("sql_grid", {"numbers": "PythonCallable", "upload": "SQLUpload", "doubled": "SQLScript",
                  "dump": "SQLDump", "scaled-0": "PythonCallable",
                  "scaled-1": "PythonCallable", "total": "PythonCallable",
                  "split": "PythonCallable", "count": "ScriptRunner"}),
])
def test_every_task_that_is_not_a_notebook_has_a_page_with_its_source_and_products(
        request, state, kinds) -> None:
    project: Path = request.getfixturevalue(state)["project"]
    for manifest in manifests(project):  # executed, then reused from the first run
        run_dir = project / "reports" / "runs" / manifest["run_id"]
        run_page = (run_dir / "index.html").read_text()
        pages = task_pages(project, manifest)
        for name, kind in kinds.items():
            task = manifest["tasks"][name]
            assert task["kind"] == kind and task["notebook"] is None, name
            shown = _text(pages[name])
            assert f"kind {kind}" in " ".join(shown.split()), name
            assert f'href="html/{name}.html"' in run_page, name  # linked from the task table
            source = (project / task["source"]["path"]).read_text()
            first_line = next(line for line in source.splitlines() if line.strip())
            assert first_line in shown, name  # the source, as text
            for product in task["products"].values():
                assert product["path"] in shown, name
                if product["hash"]:
                    assert product["hash"] in shown, name
                    row = run_page[run_page.index(f"<tr data-task=\"{name}\">"):]
                    row = row[:row.index("</tr>")]
                    assert product["path"] in html.unescape(row), name  # the files column
            for product in task["products"].values():  # folders: each file, linked
                for relative, item in (product.get("files") or {}).items():
                    assert f"{product['path']}/{relative}" in shown and item["hash"] in shown
        # a stored product's link opens the stored copy, which is the product
        if state == "sql_grid":
            link = re.search(r'href="([^"]+)">output/numbers.csv<', pages["numbers"])
            assert link is not None
            stored = (run_dir / "html" / link.group(1)).resolve()
            assert hash_file(stored) == manifest["tasks"]["numbers"]["products"]["product"][
                "hash"]
            assert "doubled (table)" in _text(pages["doubled"])


def test_a_secret_parameter_and_credentials_in_a_source_are_redacted_on_its_page(
        sql_grid) -> None:
    project: Path = sql_grid["project"]
    manifest = manifests(project)[0]
    assert manifest["params"]["total"] == {"api_key": "***redacted***"}
    page = _text(task_pages(project, manifest)["total"])
    assert "api_key" in page and "***redacted***" in page
    assert "postgresql://loader:***redacted***@db/numbers" in page  # the source's comment
    for html_file in (project / "reports").rglob("*.html"):
        text = html_file.read_text()
        assert "sk-fixture-7f3a9c2e" not in text and "hunter2-fixture" not in text, html_file


# ------------------------------------------------------------------------------ failures

@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    """Each mode built once without nbops and once with it (same order, same copies)."""
    vanilla = copied(tmp_path_factory, "ploomber_failures", "vanilla")
    project = copied(tmp_path_factory, "ploomber_failures", "nbops")
    assert run(project, "nbops", "init").returncode == 0
    results = {}
    for mode in ("raise", "stop", "hook", "notebook"):
        for folder in (vanilla, project):
            shutil.rmtree(folder / "output", ignore_errors=True)
        results[mode] = (run(vanilla, "ploomber", "build", "--env--mode", mode),
                         run(project, "ploomber", "build", "--env--mode", mode))
    partial = run(project, "ploomber", "build", "--partially", "first", "--env--mode", "ok")
    return {"project": project, "results": results, "partial": partial}


@pytest.mark.parametrize("mode, status", [
    ("raise", 1), ("stop", 0), ("hook", 1), ("notebook", 1)])
def test_nbops_exits_as_ploomber_does(failures, mode, status) -> None:
    without, with_nbops = failures["results"][mode]
    assert without.returncode == status, without.stderr[-2000:]
    assert with_nbops.returncode == status, with_nbops.stderr[-3000:]
    assert "UnboundLocalError" not in with_nbops.stderr


def test_a_failure_outside_a_notebook_records_the_real_error(failures) -> None:
    recorded = {m["command"][-1]: m for m in manifests(failures["project"])
                if m["command"][-2:-1] == ["--env--mode"]}
    raised = recorded["raise"]
    assert raised["status"] == "failed"
    assert raised["failure"]["ename"] == "ValueError"
    assert raised["failure"]["message"] == (
        "task 'first' failed: ValueError: the input has 0 rows; expected at least 1")
    assert raised["tasks"]["first"]["error"]["evalue"] == (
        "the input has 0 rows; expected at least 1")
    hooked = recorded["hook"]["failure"]
    assert (hooked["ename"], hooked["evalue"]) == (
        "RuntimeError", "first.txt says 'hook': refused by the on_finish hook")
    for manifest in recorded.values():
        assert "ploomber.io/community" not in json.dumps(manifest["failure"])
    # the failed function's page shows the real error, and the run page links it
    run_dir = failures["project"] / "reports/runs" / raised["run_id"]
    page = _text((run_dir / "html" / "first.html").read_text())
    assert "This task failed: ValueError: the input has 0 rows; expected at least 1" in page
    assert "def first(product, mode):" in page and "kind PythonCallable" in " ".join(
        page.split())
    assert 'href="html/first.html">Open the task' in (run_dir / "index.html").read_text()


def test_an_early_stop_is_a_recorded_graceful_end(failures) -> None:
    project = failures["project"]
    stopped = next(m for m in manifests(project) if m["command"][-1] == "stop")
    assert stopped["status"] == "succeeded" and stopped["failure"] is None
    assert stopped["build"]["stopped_early"] == "nothing new to process today"
    assert stopped["tasks"]["report"]["status"] == "not_run"
    assert (project / "reports/runs" / stopped["run_id"] / "index.html").is_file()
    said = failures["results"]["stop"][1].stderr
    assert "stopped: nothing new to process today (a task raised DAGBuildEarlyStop)" in said


def test_a_failed_notebook_saved_as_html_keeps_its_partial_notebook(failures) -> None:
    project = failures["project"]
    failed = next(m for m in manifests(project) if m["command"][-1] == "notebook")
    entry = failed["tasks"]["report"]
    assert failed["failure"]["ename"] == "KeyError" and entry["error"]["cell_index"] == 3
    run_dir = project / "reports/runs" / failed["run_id"]
    notebook = json.loads((run_dir / entry["notebook"]["path"]).read_text())
    assert "mode is notebook" in json.dumps(notebook["cells"])
    assert "nbops-failed-cell" in (run_dir / "html" / "report.html").read_text()


def test_partial_builds_are_recorded(failures) -> None:
    assert failures["partial"].returncode == 0, failures["partial"].stderr[-2000:]
    last = manifests(failures["project"])[-1]
    assert last["build"]["partially"] == "first" and last["status"] == "succeeded"
    verify = run(failures["project"], "nbops", "verify", "--all")
    assert verify.returncode == 0, verify.stdout
