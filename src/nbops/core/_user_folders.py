"""This user's nbops folders outside any project (the XDG base directories).

Caches (compiled templates, verified models) go under ``$XDG_CACHE_HOME/nbops``
and keys (team remotes, the model cache's MAC key) under ``$XDG_CONFIG_HOME/nbops``,
``~/.cache`` and ``~/.config`` when those are unset.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_config_folder(name: str) -> Path:
    """``$XDG_CONFIG_HOME/nbops/<name>`` (``~/.config/nbops/<name>`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nbops" / name


def user_cache_folder(name: str, override_env: str) -> Path | None:
    """``$XDG_CACHE_HOME/nbops/<name>``, or the folder ``$<override_env>`` names, or None
    when that variable is set empty (the cache turned off)."""
    configured = os.environ.get(override_env)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nbops" / name
