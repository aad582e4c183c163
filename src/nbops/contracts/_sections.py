"""Each feature section of a manifest: its key, its schema, its type, how it is read and set.

A :class:`Section` is the one description of a section every feature shares: the
registry writes ``GATES``/``REGISTRY`` and the reports read them through the same
object, so a reader gets the writer's type without importing the writer. Reading
(:meth:`Section.read`) upgrades an older section to the current version (its
:class:`~nbops.contracts.Format`, in memory), refuses a newer one and checks the value
against the section's own schema; writing goes
through :meth:`nbops.runs.RunContext.update` or :func:`nbops.runs.amend_section`,
which check it before it is set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Generic, Literal, TypeVar

from nbops.contracts._formats import Format, Upgrader
from nbops.contracts._run_record import Manifest
from nbops.contracts._section_types import (
    CardSection,
    GatesSection,
    MonitoringSection,
    RegistrySection,
    ReproductionsSection,
)
from nbops.core import schema_errors

SectionT = TypeVar("SectionT", bound=Mapping[str, object])
SectionName = Literal["gates", "registry", "card", "monitoring", "reproductions"]


@dataclass(frozen=True)
class Section(Generic[SectionT]):
    """A feature's manifest section: its key, the package shipping its schema, its type.

    ``get``/``put`` read and set the key in a typed :class:`Manifest` (one small function
    per section, so that neither side needs a cast). ``version``, ``upgraders`` and
    ``versioned`` are the section's :class:`Format`; a section carries no
    ``schema_version`` unless it says ``versioned=True`` (then one it lacks is version 1,
    and a newer one is refused).
    """

    name: SectionName
    schema_package: str
    get: Callable[[Manifest], SectionT | None]
    put: Callable[[Manifest, SectionT], None]
    versioned: bool = False
    version: int = 1
    upgraders: Mapping[int, Upgrader] = field(default_factory=lambda: MappingProxyType({}))

    @cached_property
    def format(self) -> Format[SectionT]:
        """This section as a versioned format (a part of ``manifest.json``)."""
        return Format(f"{self.name} section", f"manifest.json: {self.name}",
                      f"{self.name}.section", self.schema_package, self.version,
                      self.upgraders, self.versioned)

    def errors(self, value: object) -> list[str]:
        """Every way ``value`` violates this section's schema (empty if valid)."""
        return schema_errors(value, f"{self.name}.section", self.schema_package)

    def read(self, manifest: Manifest) -> SectionT | None:
        """This section of ``manifest`` if present and valid, else None.

        An older section comes back upgraded to the current version (a copy: the
        manifest is not changed).

        Raises:
            IntegrityError: the section is newer than this nbops reads.
        """
        value = self.get(manifest)
        if value is None:
            return None
        where = f"the {self.name} section of run {manifest.get('run_id')}"
        current: Any = self.format.upgrade(value, where)
        if self.errors(current):
            return None
        upgraded: SectionT = current  # the schema check above makes it one
        return upgraded


def _put_gates(manifest: Manifest, value: GatesSection) -> None:
    manifest["gates"] = value


def _put_registry(manifest: Manifest, value: RegistrySection) -> None:
    manifest["registry"] = value


def _put_card(manifest: Manifest, value: CardSection) -> None:
    manifest["card"] = value


def _put_monitoring(manifest: Manifest, value: MonitoringSection) -> None:
    manifest["monitoring"] = value


def _put_reproductions(manifest: Manifest, value: ReproductionsSection) -> None:
    manifest["reproductions"] = value


GATES: Section[GatesSection] = Section(
    "gates", "nbops.registry.schemas", lambda manifest: manifest.get("gates"), _put_gates)
REGISTRY: Section[RegistrySection] = Section(
    "registry", "nbops.registry.schemas", lambda manifest: manifest.get("registry"),
    _put_registry)
CARD: Section[CardSection] = Section(
    "card", "nbops.cards.schemas", lambda manifest: manifest.get("card"), _put_card,
    versioned=True)
MONITORING: Section[MonitoringSection] = Section(
    "monitoring", "nbops.monitoring.schemas", lambda manifest: manifest.get("monitoring"),
    _put_monitoring, versioned=True)
REPRODUCTIONS: Section[ReproductionsSection] = Section(
    "reproductions", "nbops.reproduce.schemas", lambda manifest: manifest.get("reproductions"),
    _put_reproductions)

#: Every feature section, by key.
SECTIONS: tuple[Section[GatesSection] | Section[RegistrySection] | Section[CardSection]
                | Section[MonitoringSection] | Section[ReproductionsSection], ...] = (
    GATES, REGISTRY, CARD, MONITORING, REPRODUCTIONS)
