"""Read-side API: find a registered version and load its model safely.

``nbops.load_model("churn@champion")`` lands here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.core import find_project
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file
from nbops.registry._refs import ModelRef, parse_ref, resolve

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion


def find_root(start: Path | str | None = None) -> Path:
    """The project root: ``$NBOPS_PROJECT_ROOT``, else the nearest folder with pipeline.yaml.

    Raises:
        ConfigError: no pipeline.yaml in ``start`` or any parent.
    """
    return find_project(start).root


def get_version(ref: ModelRef | str, root: Path | None = None) -> ModelVersion:
    """Return the registry record of ``ref`` (``NAME``, ``NAME@ALIAS`` or ``NAME:VERSION``)."""
    root = find_root() if root is None else Path(root)
    return resolve(registry_file.read(root), ref)


def load_model(ref: str, root: Path | str | None = None) -> Any:
    """Load a registered model, e.g. ``load_model("churn@champion")`` or ``"churn:3"``.

    The stored model file is re-hashed and must match the registry before it
    is deserialised (with skops, trusting only the types recorded at
    registration).

    Raises:
        RegistryError: unknown model/alias/version, or a missing, tampered or
            swapped model file.
    """
    parsed = parse_ref(ref)
    base = find_root() if root is None else Path(root)
    record = resolve(registry_file.read(base), parsed)
    label = f"{parsed.name}:{record['version']}"
    return artifacts.load_verified(base, record, label)
