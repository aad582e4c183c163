"""Read and write ``data_schema.json`` and ``feature_schema.json``.

Both carry ``schema_version`` and are checked against the JSON Schemas shipped
in ``nbops/validation/schemas/`` on every read and every write; writes are
atomic.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from nbops.contracts import FORMATS
from nbops.core import ConfigError, FeatureSchema, atomic_write_json
from nbops.validation._spec import DataSchema


@lru_cache(maxsize=2)
def _validator(name: str) -> Any:
    import jsonschema

    text = resources.files("nbops.validation").joinpath(f"schemas/{name}").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _check(data: Any, schema_name: str, path: Path) -> None:
    errors = sorted(_validator(schema_name).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "top level"
        raise ConfigError(
            f"{path} does not match {schema_name} at {where}: {errors[0].message}",
            "regenerate the file by re-running the pipeline step that writes it",
        )


def _read(path: Path, schema_name: str) -> Any:
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"schema file {path} does not exist",
            "run the pipeline step that writes it, or point to an existing file",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})",
            "regenerate it by re-running the pipeline step that writes it",
        ) from None
    data = FORMATS[schema_name.removesuffix(".schema.json")].upgrade(data, path)
    _check(data, schema_name, path)
    return data


def write_data_schema(path: Path, schema: DataSchema) -> Path:
    """Validate and atomically write ``schema`` to ``path``."""
    data = schema.to_dict()
    _check(data, "data_schema.schema.json", Path(path))
    atomic_write_json(Path(path), data)
    return Path(path)


def read_data_schema(path: Path) -> DataSchema:
    """Read and validate a ``data_schema.json``."""
    return DataSchema.from_dict(_read(Path(path), "data_schema.schema.json"))


def write_feature_schema(path: Path, schema: FeatureSchema) -> Path:
    """Validate and atomically write ``schema`` to ``path``."""
    data = schema.to_dict()
    _check(data, "feature_schema.schema.json", Path(path))
    atomic_write_json(Path(path), data)
    return Path(path)


def read_feature_schema(path: Path) -> FeatureSchema:
    """Read and validate a ``feature_schema.json``."""
    return FeatureSchema.from_dict(_read(Path(path), "feature_schema.schema.json"))
