"""``nbops new NAME --duckdb``: the first step reads a query's result from DuckDB."""

from __future__ import annotations

from pathlib import Path

import yaml

from nbops.scaffold import new_project
from nbops.sources import find_query_sources, snapshot_sources


def _rendered_params(root: Path) -> dict[str, dict[str, object]]:
    """The load task's parameters with env.yaml's values put in (as Ploomber renders them)."""
    env = yaml.safe_load((root / "env.yaml").read_text())
    pipeline = yaml.safe_load((root / "pipeline.yaml").read_text())
    (load,) = [t for t in pipeline["tasks"] if t["name"] == "load"]
    query = {key: (env["data"][value[len("{{data."):-2]] if str(value).startswith("{{data.")
                   else value) for key, value in load["params"]["query"].items()}
    return {"load": {"query": query}}


def test_new_duckdb_project_reads_its_database(tmp_path: Path) -> None:
    root = new_project(tmp_path, "demo", database=True)
    assert (root / "data" / "warehouse.duckdb").is_file()
    assert "from nbops.sources import read_query" in (root / "notebooks" / "load.py").read_text()
    params = _rendered_params(root)
    (source,) = find_query_sources(params, root)
    assert source.sql == "SELECT * FROM cases" and source.connection.kind == "duckdb"
    (snapshot,) = snapshot_sources(params, root)
    assert snapshot.rows == 569 and {"name": "malignant", "type": "int64"} in snapshot.columns


def test_plain_new_project_has_no_query(tmp_path: Path) -> None:
    root = new_project(tmp_path, "plain")
    assert not (root / "data").exists()
    assert "query" not in (root / "pipeline.yaml").read_text()
    assert "sql" not in (root / "env.yaml").read_text()
