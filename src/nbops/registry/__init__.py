"""The model registry: named, versioned models with aliases, quality gates and promotion.

The registry is one JSON file in the project (``.nbops/registry/models.json``,
see :mod:`nbops.registry.registry_file`); model files live in the content
store and are loaded only after their hash matches the registry
(:mod:`nbops.registry.artifacts`). :mod:`nbops.registry.promotion` is the
pipeline step that gates a run's model and promotes it.
"""

from nbops.registry.api import find_root, get_version, load_model
from nbops.registry.refs import ModelRef, parse_ref

__all__ = ["ModelRef", "find_root", "get_version", "load_model", "parse_ref"]
