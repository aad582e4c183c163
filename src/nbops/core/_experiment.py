"""Which experiment a run belongs to: the model it registers, the data it learns from.

Runs are compared within an experiment, never across: a model trained on the
telco file is not a regression of the model trained on the embedded data. An
experiment is identified by

* ``model``: the registered model name (the ``registry`` section's ``model``
  when the registry step ran, else ``env.registry.model``; a monitoring run's
  champion model);
* ``data``: the data source: ``query on <database>`` when ``env.data.sql`` is set
  (``nbops.sources``), else the file name of ``env.data.path`` (the embedded
  generator when the env declares ``data.path`` as null, as the reference project
  does; empty, and left out of labels, when the env has no ``data.path``), or
  ``monitoring`` for monitoring builds;
* ``name``: an optional name the user gives (``--env--experiment NAME``).

The run index records it with each run (``experiment`` in the summary line),
so the site groups a thousand runs without opening their manifests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

EMBEDDED = "embedded generator"
MONITORING = "monitoring"
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Experiment:
    """The identity of an experiment (see module docs)."""

    model: str | None
    data: str
    name: str | None = None

    @property
    def key(self) -> str:
        """A stable string id: ``model|data|name``."""
        return "|".join((self.model or "", self.data, self.name or ""))

    @property
    def label(self) -> str:
        """What people read: ``churn · telco-customer-churn.csv``."""
        return " · ".join(p for p in (self.name, self.model or "no model", self.data) if p)

    @property
    def slug(self) -> str:
        """A file-name-safe form of the key (pages are named after it)."""
        text = _SLUG.sub("-", "-".join(p for p in (self.name, self.model, self.data) if p))
        return text.strip("-")[:80] or "experiment"

    def to_dict(self) -> dict[str, str | None]:
        return {"model": self.model, "data": self.data, "name": self.name}


def data_source(env: Mapping[str, object] | None) -> str:
    """The file name of ``env.data.path``; :data:`EMBEDDED` when it is declared null; ``""``
    when the env has no ``data.path`` (a project that names no data file)."""
    data = (env or {}).get("data")
    if isinstance(data, dict) and isinstance(data.get("sql"), str) and data["sql"].strip():
        return f"query on {_database_name(data.get('connection'))}"
    if not isinstance(data, dict) or "path" not in data:
        return ""
    path = data.get("path")
    if not isinstance(path, str) or not path.strip():
        return EMBEDDED
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name or path


def _database_name(connection: Any) -> str:
    """``warehouse.duckdb`` of ``duckdb:///data/warehouse.duckdb``, ``prod`` of a
    ``postgresql://…/prod`` URL (never its credentials); ``duckdb`` for none."""
    if not isinstance(connection, str) or "://" not in connection:
        return "duckdb"
    rest = connection.split("://", 1)[1].split("?", 1)[0].rsplit("@", 1)[-1]
    return rest.rstrip("/").rsplit("/", 1)[-1] or connection.split("://", 1)[0]


def data_slug(env: Mapping[str, object] | None) -> str:
    """``data_source`` as a registry-name-safe word (``telco-customer-churn``, ``generated``)."""
    source = data_source(env)
    if source == EMBEDDED:
        return "generated"
    if source.startswith("query on "):
        source = source.removeprefix("query on ")
    if not source:
        return "data"
    stem = source.rsplit(".", 1)[0] if "." in source else source
    return _SLUG.sub("-", stem).strip("-")[:40] or "data"


def _is_monitoring(manifest: Mapping[str, Any]) -> bool:
    return isinstance(manifest.get("monitoring"), dict) or "monitor_verdict" in (
        manifest.get("metrics") or {})


def experiment_of(manifest: Mapping[str, Any]) -> Experiment:
    """The experiment of a run, from its manifest."""
    env = manifest.get("env") if isinstance(manifest.get("env"), dict) else {}
    assert isinstance(env, dict)
    name = env.get("experiment")
    name = str(name) if isinstance(name, str | int | float) and str(name).strip() else None
    model: str | None = None
    if _is_monitoring(manifest):
        champion = (manifest.get("monitoring") or {}).get("champion") or {}
        model = champion.get("model") if isinstance(champion, dict) else None
        return Experiment(str(model) if model else None, MONITORING, name)
    registry = manifest.get("registry")
    if isinstance(registry, dict) and isinstance(registry.get("model"), str):
        model = registry["model"]
    elif isinstance(env.get("registry"), dict) and isinstance(env["registry"].get("model"), str):
        model = env["registry"]["model"]
    return Experiment(model, data_source(env), name)


def from_summary(summary: Mapping[str, Any]) -> Experiment:
    """The experiment recorded in a run-index line (older lines: unknown model and data)."""
    raw = summary.get("experiment")
    if not isinstance(raw, dict):
        return Experiment(None, "", None)
    return Experiment(raw.get("model"), str(raw.get("data") or ""), raw.get("name"))
