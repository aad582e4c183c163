"""The model registry: named, versioned models with aliases, quality gates and promotion.

The registry is one JSON file in the project (``.nbops/registry/models.json``,
see :mod:`nbops.registry._registry_file`); model files live in the content
store and are loaded only after their hash matches the registry
(:mod:`nbops.registry._artifacts`). :mod:`nbops.registry._promotion` is the
pipeline step that gates a run's model and promotes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbops.core import lazy_exports

if TYPE_CHECKING:
    from nbops.registry._api import find_root, get_version, load_model
    from nbops.registry._artifacts import (
        DEFAULT_TRUSTED_TYPES,
        inspect_types,
        keep_onnx_form,
        load_verified,
        load_verified_onnx,
        no_onnx_form,
        store_of,
        trusted_types_of,
    )
    from nbops.registry._card_requirement import check_card_for_alias
    from nbops.registry._config import default_model_name, parse_registry_config, project_model_name
    from nbops.registry._measure_helper import WARM_IMPORTS as MEASURING_IMPORTS
    from nbops.registry._onnx_form import TOLERANCE as ONNX_TOLERANCE
    from nbops.registry._onnx_form import NotConvertible as OnnxNotConvertible
    from nbops.registry._onnx_form import OnnxModel
    from nbops.registry._onnx_form import convert as convert_to_onnx
    from nbops.registry._onnx_form import parity_problem as onnx_parity_problem
    from nbops.registry._operations import Actor, promote, register_version, rollback
    from nbops.registry._pipeline_step import RegistryStep, check_model_product, check_settings
    from nbops.registry._refs import ModelRef, get_model, parse_ref
    from nbops.registry._refs import resolve as resolve_version
    from nbops.registry._registry_file import follow_remote as follow_remote_registry
    from nbops.registry._registry_file import read as read_registry
    from nbops.registry._registry_file import read_local as read_local_registry
    from nbops.registry._registry_file import referenced_objects as registry_objects
    from nbops.registry._registry_file import registry_path, seal_problem
    from nbops.registry._registry_file import restore_remote as restore_remote_registry
    from nbops.registry._registry_file import share as share_registry
    from nbops.registry._registry_file import transaction as registry_transaction
    from nbops.registry._restore import restore_champion
    from nbops.registry._scoring import METRIC_DIRECTIONS, predict_table
    from nbops.registry._scoring import read_table as read_input_table
    from nbops.registry._scoring import write_table as write_scored_table

__all__ = [
    "Actor", "DEFAULT_TRUSTED_TYPES", "MEASURING_IMPORTS", "METRIC_DIRECTIONS", "ModelRef",
    "ONNX_TOLERANCE", "OnnxModel", "OnnxNotConvertible", "RegistryStep",
    "check_card_for_alias", "check_model_product", "check_settings", "convert_to_onnx",
    "default_model_name", "find_root", "follow_remote_registry", "get_model", "get_version",
    "inspect_types", "keep_onnx_form", "load_model", "load_verified", "load_verified_onnx",
    "no_onnx_form", "onnx_parity_problem", "parse_ref", "parse_registry_config",
    "predict_table", "project_model_name", "promote", "read_input_table", "read_local_registry",
    "read_registry", "register_version", "registry_objects", "registry_path",
    "registry_transaction", "resolve_version", "restore_champion", "restore_remote_registry",
    "rollback", "seal_problem", "share_registry", "store_of", "trusted_types_of",
    "write_scored_table",
]

# Each public name's private module, imported on first use. Type checkers see the
# imports above instead, so that they flag a name the package does not export.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "_api": ("find_root", "get_version", "load_model"),
        "_artifacts": ("DEFAULT_TRUSTED_TYPES", "inspect_types", "keep_onnx_form",
                       "load_verified", "load_verified_onnx", "no_onnx_form", "store_of",
                       "trusted_types_of"),
        "_card_requirement": ("check_card_for_alias",),
        "_config": ("default_model_name", "parse_registry_config", "project_model_name"),
        "_measure_helper": ("MEASURING_IMPORTS=WARM_IMPORTS",),
        "_onnx_form": ("ONNX_TOLERANCE=TOLERANCE", "OnnxModel",
                       "OnnxNotConvertible=NotConvertible", "convert_to_onnx=convert",
                       "onnx_parity_problem=parity_problem"),
        "_operations": ("Actor", "promote", "register_version", "rollback"),
        "_pipeline_step": ("RegistryStep", "check_model_product", "check_settings"),
        "_refs": ("ModelRef", "get_model", "parse_ref", "resolve_version=resolve"),
        "_registry_file": (
            "follow_remote_registry=follow_remote", "read_local_registry=read_local",
            "read_registry=read", "registry_objects=referenced_objects", "registry_path",
            "registry_transaction=transaction", "restore_remote_registry=restore_remote",
            "seal_problem", "share_registry=share",
        ),
        "_restore": ("restore_champion",),
        "_scoring": (
            "METRIC_DIRECTIONS", "predict_table", "read_input_table=read_table",
            "write_scored_table=write_table",
        ),
    })
