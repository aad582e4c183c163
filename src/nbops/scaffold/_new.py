"""``nbops new NAME``: a project that builds out of the box.

The template is package data (``nbops/scaffold/new/``), rendered with Jinja2
(``{{ name }}``, ``{{ model_name }}``, ``{{ target }}``); the project also gets
what ``nbops init`` adds to any project (.gitignore, reports/README.md, lab
settings). Files are rendered in memory first and written into a temporary
folder that is renamed to NAME at the end, so NAME never exists half-made.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from nbops.core import ConfigError, crash_point

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
TARGET = "malignant"
#: The DuckDB database of ``nbops new --duckdb``, relative to the project.
DATABASE = Path("data") / "warehouse.duckdb"


def _check_duckdb() -> None:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise ConfigError("nbops new --duckdb needs the duckdb package, which is not installed",
                          "pip install 'nbops[db]'") from None


def _write_warehouse(path: Path) -> None:
    """The example database: scikit-learn's breast cancer cases as table ``cases``."""
    import duckdb
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame = frame.rename(columns=lambda c: c.replace(" ", "_"))
    frame[TARGET] = 1 - frame.pop("target")  # scikit-learn codes benign as 1
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.register("frame", frame)
        con.execute("CREATE TABLE cases AS SELECT * FROM frame")
    finally:
        con.close()


def _template_files(folder: str = "new") -> dict[str, str]:
    """relative path -> template text of every file under ``nbops/scaffold/<folder>``.

    ``new`` is the project; ``new_duckdb`` holds the files ``--duckdb`` replaces.
    """
    files: dict[str, str] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                files[prefix + child.name] = child.read_text(encoding="utf-8")

    walk(resources.files("nbops.scaffold").joinpath(folder), "")
    return files


def render_project(name: str, database: bool = False) -> dict[str, str]:
    """relative path -> text of the project ``nbops new NAME`` writes.

    Args:
        database: the first step reads a SQL query's result from the project's DuckDB
            file (``data/warehouse.duckdb``, written by :func:`new_project`).
    """
    import jinja2

    from nbops.registry import default_model_name
    from nbops.scaffold._init import scaffold_text
    from nbops.scaffold._lab_settings import OVERRIDES, overrides

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    values = {"name": name, "model_name": default_model_name(name), "target": TARGET,
              "database": database}
    templates = _template_files()
    if database:
        templates.update(_template_files("new_duckdb"))
    rendered = {path: env.from_string(text).render(values) for path, text in templates.items()}
    from nbops.core import dumps_json

    rendered[".gitignore"] = scaffold_text("gitignore.txt") + ".ipynb_checkpoints/\n__pycache__/\n"
    rendered["reports/README.md"] = scaffold_text("reports_README.md")
    rendered[OVERRIDES.as_posix()] = dumps_json(overrides())
    return rendered


def new_project(parent: Path, name: str, database: bool = False) -> Path:
    """Create ``parent/name`` from the template and return it.

    Args:
        database: a project whose first step reads from DuckDB (``nbops new --duckdb``).

    Raises:
        ConfigError: ``name`` is not a plain folder name, or ``parent/name`` exists, or
            ``database`` without the DuckDB package.
    """
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a usable project name",
            "start with a letter and use only letters, digits, '_', '.' or '-' "
            "(e.g. nbops new demo)",
        )
    parent = Path(parent).resolve()
    target = parent / name
    if target.exists():
        raise ConfigError(f"{target} already exists",
                          "choose another name, or run nbops init inside an existing project")
    if not parent.is_dir():
        raise ConfigError(f"{parent} is not a folder", "create it first, or pass another --into")
    if database:
        _check_duckdb()
    files = render_project(name, database)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.nbops-new-", dir=parent))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if database:
            _write_warehouse(staging / DATABASE)
        crash_point("new.files_written")
        os.chmod(staging, 0o755)
        staging.rename(target)  # NAME appears whole or not at all
        crash_point("new.project_renamed")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
