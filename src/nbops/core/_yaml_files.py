"""Read a YAML configuration file, or say in one sentence what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nbops.core._errors import ConfigError


def load_yaml(path: Path, what: str) -> Any:
    """Parse ``path`` (described to people as ``what``), naming file and line on error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror}", f"make {path.name} readable"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start})", f"save {path.name} as UTF-8"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = (exc.problem or exc.context or "invalid syntax").strip()
        raise ConfigError(
            f"{path} is not valid YAML{where}: {problem}",
            f"correct the {what} syntax there (indent with spaces, quote values "
            "that contain ':' or '{{...}}', close every bracket and quote)",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{path} is not valid YAML: {exc}", f"correct the {what} syntax"
        ) from None


def load_mapping(path: Path, what: str) -> dict[str, Any]:
    """Like :func:`load_yaml`, for files that must hold ``key: value`` pairs."""
    data = load_yaml(path, what)
    if not isinstance(data, dict):
        kind = "nothing" if data is None else f"a {type(data).__name__}"
        raise ConfigError(
            f"{path} holds {kind}, not a mapping of keys to values",
            f"write {what} as 'key: value' lines (nested keys indented)",
        )
    return data
