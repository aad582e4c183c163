"""A run's model card, assembled from its record: the ``card`` manifest section.

Everything comes from what the run already recorded: the manifest (parameters,
provenance, the registry's ``gates`` and ``registry`` sections), its products in
the content store (``card_evaluation.json``, the feature schema) and the
project's ``model_card.yaml``. Nothing is measured here.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbops.cards._evaluation_file import read_evaluation
from nbops.contracts import (
    CARD,
    CardDataFile,
    CardFeatureSchema,
    CardSection,
    DataFacts,
    FileRecord,
    JSONObject,
    JSONValue,
    Manifest,
    UserValues,
)
from nbops.core import ContentStore, Project, missing_card_fields, read_model_card

#: where the reference pipeline writes the card's numbers (``card.evaluation`` in env.yaml)
DEFAULT_EVALUATION = ".nbops/products/card_evaluation.json"
_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "nbops", "ploomber")




def card_settings(env: UserValues) -> JSONObject:
    """env.yaml's ``card:`` section (``slices``, ``evaluation``), empty when absent."""
    card = env.get("card")
    return dict(card) if isinstance(card, dict) else {}


#: (task, digest, record) of a stored product
_Found = tuple[str, str, FileRecord]


def _product(root: Path, manifest: Manifest, wanted: str) -> _Found | None:
    target = (root / wanted).resolve()
    for name, task in manifest["tasks"].items():
        for product in task["products"].values():
            path, digest = product["path"], product["hash"]
            if path and (root / path).resolve() == target and digest:
                return name, digest, product
    return None


def _record(found: _Found | None) -> FileRecord | None:
    return found[2] if found is not None else None


def _data_file(record: FileRecord | None, facts: DataFacts | None) -> CardDataFile | None:
    if record is None and facts is None:
        return None
    located: CardDataFile = {"hash": record["hash"], "path": record["path"]} if record else {}
    return {**facts, **located} if facts else located


def _text(value: JSONValue) -> str | None:
    return None if value is None else str(value)


def build_card(root: Path, manifest: Manifest, store: ContentStore) -> CardSection | None:
    """The card of the run ``manifest`` describes, or None when it measured no card evaluation."""
    env = manifest["env"]
    registry_env: JSONObject = (env["registry"] if isinstance(env.get("registry"), dict)
                                else {})
    found = _product(root, manifest, str(card_settings(env).get("evaluation")
                                         or DEFAULT_EVALUATION))
    if found is None:
        return None
    _, digest, product = found
    store.verify(digest)
    evaluation = read_evaluation(store.path_for(digest).read_bytes())
    registry = manifest.get("registry")
    gates = manifest.get("gates")
    measured = (gates.get("measured") if gates else None) or {}
    model_types = measured.get("model_types")
    trusted_types = [str(t) for t in model_types] if isinstance(model_types, list) else []
    provenance = manifest["provenance"]
    git = provenance["git"]
    model_file = str(registry_env.get("model_file") or ".nbops/products/model.skops")
    model_task = _product(root, manifest, model_file)
    parameters = manifest["params"].get(model_task[0], {}) if model_task else {}
    packages = provenance["packages"]
    schema: CardFeatureSchema | None = None
    schema_product = _product(root, manifest, str(registry_env.get("feature_schema")
                                                  or ".nbops/products/feature_schema.json"))
    if schema_product is not None and store.path_for(schema_product[1]).is_file():
        raw = json.loads(store.path_for(schema_product[1]).read_bytes())
        schema = {"target": raw.get("target"), "date_column": raw.get("date_column"),
                  "features": [{"name": f.get("name"), "dtype": f.get("dtype")}
                               for f in raw.get("features", [])]}
    train, test = (_record(_product(root, manifest, str(
        registry_env.get(key) or f".nbops/products/{key.split('_')[0]}.parquet")))
        for key in ("train_data", "test_data"))
    human = read_model_card(root)
    card: CardSection = {
        "schema_version": 1,
        "model": {
            "name": (registry["model"] if registry else None) or _text(registry_env.get("model")),
            "version": (registry.get("version") if registry else None),
            "type": {**evaluation["model"], "trusted_types": trusted_types},
            "parameters": dict(parameters),
            "code": {"commit": git["commit"], "branch": git["branch"], "dirty": git["dirty"]},
            "environment": {"python": provenance["python"],
                            "platform": provenance["platform"],
                            "lock_hash": provenance["lock_hash"],
                            "packages": {k: packages[k] for k in _PACKAGES if k in packages}},
        },
        "data": {
            "source": {"env": env.get("data") if isinstance(env.get("data"), dict) else None,
                       "inputs": dict(provenance["inputs"])},
            "train": _data_file(train, evaluation["data"].get("train")),
            "test": _data_file(test, evaluation["data"]["test"]),
            "schema": schema,
        },
        "evaluation": {"hash": digest, "path": product["path"], "content": evaluation},
        "gates": None if not gates else {
            "verdict": gates.get("verdict"),
            "results": [{"name": r.get("name"), "expression": r.get("expression"),
                         "verdict": r.get("verdict"), "value": r.get("value"),
                         "threshold": r.get("threshold"), "detail": r.get("detail")}
                        for r in gates.get("results") or []]},
        "champion": None if not registry else {
            "replaced": registry.get("champion_before"), "deltas": registry.get("deltas") or {},
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
