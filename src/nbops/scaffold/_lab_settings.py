"""JupyterLab opens the pipeline's ``.py`` steps as notebooks (jupytext's notebook view).

JupyterLab reads ``labconfig/default_setting_overrides.json`` from every
directory of the Jupyter config path; ``nbops init`` / ``nbops new`` write one
under the project's ``.jupyter/`` and ``nbops lab`` puts that folder first on
``JUPYTER_CONFIG_PATH``. The override only changes the *default* viewer: a
person's own JupyterLab settings still win, and "Open With > Editor" still
opens the text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbops.core import dumps_json

#: the project's Jupyter config folder, relative to the project root
CONFIG_DIR = ".jupyter"
OVERRIDES = Path(CONFIG_DIR) / "labconfig" / "default_setting_overrides.json"
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"
#: jupytext's document widget factory for text notebooks
JUPYTEXT_FACTORY = "Jupytext Notebook"


def overrides() -> dict[str, Any]:
    """The setting overrides that make jupytext's notebook view the default for ``.py``."""
    return {DOCMANAGER: {"defaultViewers": {"python": JUPYTEXT_FACTORY}}}


def merged(existing: dict[str, Any]) -> dict[str, Any]:
    """``existing`` overrides with ours added (a person's other settings kept)."""
    result = dict(existing)
    plugin = dict(result.get(DOCMANAGER) or {})
    viewers = dict(plugin.get("defaultViewers") or {})
    viewers.setdefault("python", JUPYTEXT_FACTORY)
    plugin["defaultViewers"] = viewers
    result[DOCMANAGER] = plugin
    return result


def plan_lab_settings(root: Path) -> list[Any]:
    """The settings file to write in ``root`` (nothing when it already says so)."""
    from nbops.core import ConfigError
    from nbops.scaffold._init import PlannedWrite

    path = Path(root) / OVERRIDES
    existing: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc})",
                              "fix or delete it, then run nbops init again") from None
        if not isinstance(existing, dict):
            raise ConfigError(f"{path} is not a JSON object",
                              "fix or delete it, then run nbops init again")
    wanted = merged(existing)
    if wanted == existing:
        return []
    return [PlannedWrite(path, dumps_json(wanted),
                         "JupyterLab opens the .py steps as notebooks")]


def default_config_dir() -> Path:
    """nbops' own Jupyter config folder (package data) holding the same overrides."""
    from importlib import resources

    return Path(str(resources.files("nbops.scaffold").joinpath("files", "jupyter")))


def config_path_env(config_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """``JUPYTER_CONFIG_PATH`` with ``config_dir`` first (the rest of it kept)."""
    environ = os.environ if environ is None else environ
    ours = str(Path(config_dir).resolve())
    rest = [p for p in environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p and p != ours]
    return os.pathsep.join([ours, *rest])
