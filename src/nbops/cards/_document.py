"""A run's model card, assembled from its record: the ``card`` manifest section.

Everything comes from what the run already recorded: the manifest (parameters,
provenance, the registry's ``gates`` and ``registry`` sections), its products in
the content store (``card_evaluation.json``, the feature schema) and the
project's ``model_card.yaml``. Nothing is measured here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from nbops.cards._evaluation_file import read_evaluation
from nbops.core import ContentStore, Project, missing_card_fields, read_model_card
from nbops.runs import Section

SCHEMAS = "nbops.cards.schemas"
#: where the reference pipeline writes the card's numbers (``card.evaluation`` in env.yaml)
DEFAULT_EVALUATION = ".nbops/products/card_evaluation.json"
_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "nbops", "ploomber")


class CardSection(TypedDict):
    """``manifest["card"]``: the run's model card (see ``card.section.schema.json``)."""

    schema_version: int
    model: dict[str, Any]
    data: dict[str, Any]
    evaluation: dict[str, Any]
    gates: dict[str, Any] | None
    champion: dict[str, Any] | None
    human: dict[str, Any] | None
    missing: list[str]


CARD: Section[CardSection] = Section("card", SCHEMAS)


def card_settings(env: dict[str, Any]) -> dict[str, Any]:
    """env.yaml's ``card:`` section (``slices``, ``evaluation``), empty when absent."""
    card = env.get("card")
    return dict(card) if isinstance(card, dict) else {}


_Found = tuple[str, dict[str, Any]]


def _product(root: Path, manifest: dict[str, Any], wanted: str) -> _Found | None:
    target = (root / wanted).resolve()
    for name, task in manifest["tasks"].items():
        for product in (task.get("products") or {}).values():
            path = product.get("path")
            if path and (root / path).resolve() == target and product.get("hash"):
                return str(name), dict(product)
    return None


def _data_file(record: dict[str, Any] | None,
               facts: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None and facts is None:
        return None
    return {**(facts or {}), **({"hash": record.get("hash"), "path": record.get("path")}
                                if record else {})}


def build_card(root: Path, manifest: dict[str, Any], store: ContentStore) -> CardSection | None:
    """The card of the run ``manifest`` describes, or None when it measured no card evaluation."""
    env = manifest.get("env") or {}
    registry_env: dict[str, Any] = (env["registry"] if isinstance(env.get("registry"), dict)
                                    else {})
    found = _product(root, manifest, str(card_settings(env).get("evaluation")
                                         or DEFAULT_EVALUATION))
    if found is None:
        return None
    _, product = found
    store.verify(product["hash"])
    evaluation = read_evaluation(store.path_for(product["hash"]).read_bytes())
    registry = manifest.get("registry") or {}
    gates = manifest.get("gates") or {}
    provenance = manifest.get("provenance") or {}
    model_file = str(registry_env.get("model_file") or ".nbops/products/model.skops")
    model_task = _product(root, manifest, model_file)
    parameters = (manifest.get("params") or {}).get(model_task[0], {}) if model_task else {}
    packages = provenance.get("packages") or {}
    schema = None
    schema_product = _product(root, manifest, str(registry_env.get("feature_schema")
                                                  or ".nbops/products/feature_schema.json"))
    if schema_product is not None and store.path_for(schema_product[1]["hash"]).is_file():
        raw = json.loads(store.path_for(schema_product[1]["hash"]).read_bytes())
        schema = {"target": raw.get("target"), "date_column": raw.get("date_column"),
                  "features": [{"name": f.get("name"), "dtype": f.get("dtype")}
                               for f in raw.get("features", [])]}
    files = {key: _product(root, manifest, str(registry_env.get(key) or
                                                f".nbops/products/{key.split('_')[0]}.parquet"))
             for key in ("train_data", "test_data")}
    human = read_model_card(root)
    champion_before = registry.get("champion_before")
    card: CardSection = {
        "schema_version": 1,
        "model": {
            "name": registry.get("model") or registry_env.get("model"),
            "version": registry.get("version"),
            "type": {**evaluation["model"],
                     "trusted_types": (gates.get("measured") or {}).get("model_types", [])},
            "parameters": dict(parameters),
            "code": {k: (provenance.get("git") or {}).get(k)
                     for k in ("commit", "branch", "dirty")},
            "environment": {"python": provenance.get("python"),
                            "platform": provenance.get("platform"),
                            "lock_hash": provenance.get("lock_hash"),
                            "packages": {k: packages[k] for k in _PACKAGES if k in packages}},
        },
        "data": {
            "source": {"env": env.get("data") if isinstance(env.get("data"), dict) else None,
                       "inputs": dict(provenance.get("inputs") or {})},
            "train": _data_file(files["train_data"] and files["train_data"][1],
                                evaluation["data"].get("train")),
            "test": _data_file(files["test_data"] and files["test_data"][1],
                               evaluation["data"]["test"]),
            "schema": schema,
        },
        "evaluation": {"hash": product["hash"], "path": product["path"], "content": evaluation},
        "gates": None if not gates else {
            "verdict": gates.get("verdict"),
            "results": [{k: r.get(k) for k in ("name", "expression", "verdict", "value",
                                                "threshold", "detail")}
                        for r in gates.get("results") or []]},
        "champion": None if not registry else {
            "replaced": champion_before, "deltas": registry.get("deltas") or {},
            "promoted": registry.get("promoted"), "decision": registry.get("decision"),
            "primary_metric": registry.get("primary_metric")},
        "human": human,
        "missing": missing_card_fields(human),
    }
    return card


def record_written_part(project: Project, run_id: str) -> CardSection | None:
    """Re-record the project's current ``model_card.yaml`` in run ``run_id``'s card.

    ``nbops promote`` calls it once a person completed the card and promoted the
    version, so the version's card shows the words it was promoted with. A run
    without a card is left alone (None).
    """
    from nbops.runs import amend_section, load_manifest

    card = CARD.read(load_manifest(project, run_id))
    if card is None:
        return None
    human = read_model_card(project.root)
    if human == card["human"]:
        return card
    updated: CardSection = {**card, "human": human, "missing": missing_card_fields(human)}
    amend_section(project, run_id, CARD, updated)
    return updated
