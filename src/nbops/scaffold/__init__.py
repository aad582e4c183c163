"""Adopting nbops: ``nbops init`` (an existing Ploomber project), ``nbops new`` (a new one),
``nbops init ci`` (a CI workflow).

Every command here checks everything first and writes only then (each file
atomically), so a refused or interrupted command leaves a project as it was
or with whole files. Templates are package data under ``nbops/scaffold/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.scaffold._ci import write_ci
    from nbops.scaffold._init import init_project
    from nbops.scaffold._lab_settings import (
        CONFIG_DIR,
        OVERRIDES,
        config_path_env,
        default_config_dir,
    )
    from nbops.scaffold._new import new_project

__all__ = [
    "CONFIG_DIR", "OVERRIDES", "config_path_env", "default_config_dir", "init_project",
    "new_project", "write_ci",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_ci": ("write_ci",),
        "_init": ("init_project",),
        "_lab_settings": ("CONFIG_DIR", "OVERRIDES", "config_path_env", "default_config_dir"),
        "_new": ("new_project",),
    })
