"""The ``registry:`` section of ``env.yaml``: which model, which files, which policy.

::

    registry:
      model: churn                                  # registered name (default: the project's)
      model_file: .nbops/products/model.skops       # product paths, relative to the project
      train_data: .nbops/products/train.parquet
      test_data: .nbops/products/test.parquet
      feature_schema: .nbops/products/feature_schema.json
      primary_metric: roc_auc                       # decides champion vs challenger
      promotion: auto                               # auto | manual | never
      min_improvement: 0.0                          # how much better than the champion
      require_card: true    # no champion without intended use etc. in model_card.yaml
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.core import ConfigError
from nbops.registry._artifacts import (
    DEFAULT_TRUSTED_TYPES,
    MODULES_DROPPED,
    MODULES_FIX,
    trusted_types_problem,
)
from nbops.registry._scoring import METRIC_DIRECTIONS

if TYPE_CHECKING:
    from nbops.core import ProjectSettings

#: auto: a passing candidate that beats the champion becomes it; manual: it becomes
#: @challenger; never: the gates are evaluated and recorded, nothing is registered
#: (sweep trials, dry runs).
PROMOTION_MODES = ("auto", "manual", "never")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class RegistryConfig:
    """Parsed ``registry:`` settings."""

    model: str
    model_file: str = ".nbops/products/model.skops"
    train_data: str = ".nbops/products/train.parquet"
    test_data: str = ".nbops/products/test.parquet"
    feature_schema: str = ".nbops/products/feature_schema.json"
    primary_metric: str = "roc_auc"
    promotion: str = "auto"
    min_improvement: float = 0.0
    #: exact type names a model may use besides :data:`DEFAULT_TRUSTED_TYPES`
    trusted_types: tuple[str, ...] = field(default=())
    require_card: bool = False  # model_card.yaml complete before @champion (docs/model-cards.md)

    @property
    def trusted_policy(self) -> frozenset[str]:
        """Every exact type name a registered model file may use."""
        return frozenset(DEFAULT_TRUSTED_TYPES) | frozenset(self.trusted_types)

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger primary metric is better (False for brier)."""
        return METRIC_DIRECTIONS[self.primary_metric]


def _bad(key: str, value: Any, fix: str) -> ConfigError:
    return ConfigError(f"registry.{key} in env.yaml is {value!r}", fix)


def default_model_name(project_name: str) -> str:
    """The registered name of a project's model when ``registry.model`` is not set.

    The project's folder name, made a valid model name (``my project`` -> ``my_project``).
    """
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", project_name).strip("_.-")[:64]
    if not name or not name[0].isalpha():
        name = f"model_{name}"[:64]
    return name


def parse_registry_config(raw: Any, project_name: str = "model") -> RegistryConfig:
    """Validate the ``registry:`` mapping.

    ``model`` defaults to :func:`default_model_name` of ``project_name``.

    Raises:
        ConfigError: naming the bad key and the accepted values.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"the registry: section of env.yaml is a {type(raw).__name__}, not a mapping",
            "write registry: as a mapping, e.g. 'registry: {primary_metric: roc_auc}' "
            "(see nbops' guide, Registry and gates)",
        )
    if "trusted_modules" in raw:
        raise ConfigError(MODULES_DROPPED, MODULES_FIX)
    known = set(RegistryConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown key(s) under registry: in env.yaml: {', '.join(map(str, unknown))}",
            f"use only {', '.join(sorted(known))}",
        )
    values = dict(raw)
    if values.get("model") is None:
        values["model"] = default_model_name(project_name)
    model = values.get("model")
    if not isinstance(model, str) or not _NAME.match(model):
        raise _bad("model", model, "name the model with a letter then letters/digits/_.-")
    if values.get("promotion", "auto") not in PROMOTION_MODES:
        raise _bad("promotion", values["promotion"], "use auto, manual or never")
    if values.get("primary_metric", "roc_auc") not in METRIC_DIRECTIONS:
        raise _bad("primary_metric", values["primary_metric"],
                   f"use one of {', '.join(METRIC_DIRECTIONS)}")
    try:
        values["min_improvement"] = float(values.get("min_improvement", 0.0))
    except (TypeError, ValueError):
        raise _bad("min_improvement", values["min_improvement"], "use a number") from None
    for key in ("model_file", "train_data", "test_data", "feature_schema"):
        if key in values and not (isinstance(values[key], str) and values[key]):
            raise _bad(key, values[key], "give a path relative to the project root")
        if key in values:
            values[key] = str(values[key])
    if not isinstance(values.get("require_card", False), bool):
        raise _bad("require_card", values["require_card"], "use true or false")
    if "trusted_types" in values:
        problem = trusted_types_problem(values["trusted_types"])
        if problem:
            raise ConfigError(problem, "list exact type names, e.g. [mypackage.features.to_float]")
        values["trusted_types"] = tuple(values["trusted_types"])
    return RegistryConfig(**values)


def project_model_name(root: Path, settings: ProjectSettings | None = None) -> str:
    """The model name a project registers: env.yaml's ``registry.model``, else its folder's.

    ``settings``: the project's env.yaml as the command read it; read here when None.
    """
    if settings is None:
        from nbops.core import ProjectSettings

        settings = ProjectSettings.read(Path(root) / "env.yaml", mapping_required=False)
    model = settings.get("registry.model")
    return model if isinstance(model, str) else default_model_name(Path(root).resolve().name)
