"""Model references: ``churn`` / ``churn@champion`` / ``churn:3``.

A bare name means the ``champion`` alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbops.core import RegistryError

if TYPE_CHECKING:
    from nbops.contracts import ModelVersion, RegisteredModel, RegistryDocument

DEFAULT_ALIAS = "champion"
_NAME = r"[A-Za-z][A-Za-z0-9_.-]{0,63}"
_REF = re.compile(rf"^(?P<name>{_NAME})(?:@(?P<alias>{_NAME})|:(?P<version>[1-9][0-9]*))?$")


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference to one model version."""

    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        return f"{self.name}@{self.alias or DEFAULT_ALIAS}"


def parse_ref(text: str) -> ModelRef:
    """Parse ``NAME``, ``NAME@ALIAS`` or ``NAME:VERSION``.

    Raises:
        RegistryError: when ``text`` is none of those.
    """
    match = _REF.match(text.strip())
    if not match:
        raise RegistryError(
            f"{text!r} is not a model reference",
            "write NAME, NAME@ALIAS or NAME:VERSION, e.g. mymodel@champion or mymodel:3",
        )
    version = match.group("version")
    if version is not None:
        return ModelRef(match.group("name"), version=int(version))
    return ModelRef(match.group("name"), alias=match.group("alias") or DEFAULT_ALIAS)


def get_model(registry: RegistryDocument, name: str) -> RegisteredModel:
    """Return the entry of model ``name`` or raise a RegistryError listing known ones."""
    try:
        return registry["models"][name]
    except KeyError:
        known = ", ".join(sorted(registry["models"])) or "none yet"
        raise RegistryError(
            f"no model named {name!r} in the registry (known: {known})",
            "run the pipeline (ploomber build) to register one, or check the spelling",
        ) from None


def resolve(registry: RegistryDocument, ref: ModelRef | str) -> ModelVersion:
    """Return the version record ``ref`` points to.

    Raises:
        RegistryError: unknown model, alias or version.
    """
    if isinstance(ref, str):
        ref = parse_ref(ref)
    model = get_model(registry, ref.name)
    number = ref.version
    if number is None:
        alias = ref.alias or DEFAULT_ALIAS
        if alias not in model["aliases"]:
            known = ", ".join(f"@{a}" for a in sorted(model["aliases"])) or "no aliases yet"
            raise RegistryError(
                f"model {ref.name!r} has no alias @{alias} ({known})",
                f"promote a version first: nbops promote {ref.name} VERSION --alias {alias} "
                "--reason TEXT",
            )
        number = model["aliases"][alias]
    for version in model["versions"]:
        if version["version"] == number:
            return version
    raise RegistryError(
        f"model {ref.name!r} has no version {number} (it has {len(model['versions'])})",
        f"list them with: nbops models {ref.name}",
    )
