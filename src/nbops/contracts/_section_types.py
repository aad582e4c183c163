"""The feature sections of a run manifest, as types.

Each is written by one feature and read by any: ``gates`` and ``registry`` by
nbops.registry, ``card`` by nbops.cards, ``monitoring`` by nbops.monitoring,
``reproductions`` by nbops reproduce. Their validators are the JSON Schemas each feature
ships (``nbops/<feature>/schemas/<name>.section.schema.json``); ``tests/nbops/contracts``
keeps these keys equal to the schemas' properties.
"""


from typing import Literal, NotRequired, TypedDict

from nbops.contracts._card_types import CardData, CardEvaluationRef, CardGates, CardModel
from nbops.contracts._json import JSONObject
from nbops.contracts._monitoring_types import (
    FeatureDriftSummary,
    MonitoredChampion,
    MonitoringAction,
    MonitoringReportFile,
    PerformanceSummary,
    PredictionDriftSummary,
)

GateVerdict = Literal["passed", "failed", "error"]


class GateResultRecord(TypedDict):
    """One gate's verdict (``gates.results[i]``, ``GateResult.to_dict``)."""

    name: str
    expression: str
    kind: str
    verdict: str  # passed | failed | skipped
    value: float | None
    threshold: float | None
    detail: str


class EvaluatedOn(TypedDict):
    """The test data the model was gated on."""

    hash: str
    path: str
    size: NotRequired[int | None]


class _GatesRequired(TypedDict):
    verdict: GateVerdict
    results: list[GateResultRecord]


class GatesSection(_GatesRequired, total=False):
    """``manifest["gates"]``: the quality-gate verdict and each gate's result."""

    error: str
    evaluated_on: EvaluatedOn
    data: dict[str, object]
    measured: dict[str, object]


class ChampionBefore(TypedDict):
    """The champion a registration compared against."""

    version: int
    run_id: str | None
    metrics: NotRequired[dict[str, float] | None]


class RegistrationError(TypedDict):
    """Why a model that passed its gates was not registered (the team remote refused it)."""

    kind: str
    message: str


class RegistrySection(TypedDict):
    """``manifest["registry"]``: what the registry did with the run's model, and why."""

    model: str
    version: int | None
    new_version: bool
    promoted: bool
    alias: str
    mode: str
    primary_metric: str
    candidate_metrics: dict[str, float]
    champion_before: ChampionBefore | None
    champion_after: int | None
    deltas: dict[str, float]
    champion_note: str | None
    decision: str
    experiment_note: NotRequired[str]
    registration_error: NotRequired[RegistrationError]


class CardChampion(TypedDict):
    """``card.champion``: the champion the model was compared with, and the decision."""

    replaced: ChampionBefore | None
    deltas: dict[str, float]
    promoted: bool
    decision: str
    primary_metric: str


class CardSection(TypedDict):
    """``manifest["card"]``: the run's model card (see ``card.section.schema.json``)."""

    schema_version: int
    model: CardModel
    data: CardData
    evaluation: CardEvaluationRef
    gates: CardGates | None
    champion: CardChampion | None
    human: JSONObject | None
    missing: list[str]


class MonitoringSection(TypedDict):
    """``manifest["monitoring"]``: a monitoring build's verdict and what was done about it."""

    schema_version: int
    task: str
    verdict: str
    summary: str
    banner: str | None
    top_features: list[str]
    problems: list[str]
    rows: int
    batch: JSONObject
    champion: MonitoredChampion
    thresholds: dict[str, float]
    features: dict[str, FeatureDriftSummary]
    prediction: PredictionDriftSummary | None
    performance: PerformanceSummary | None
    report: MonitoringReportFile
    action: MonitoringAction


class Diverged(TypedDict):
    """The first task whose outputs differed, and why."""

    task: str
    reason: str


class ReproductionItem(TypedDict):
    """One reproduction of the run."""

    id: str
    started_at: str
    verdict: str
    first_diverged: Diverged | None
    environment_identical: bool
    report: str
    record: str


class ReproductionsSection(TypedDict):
    """``manifest["reproductions"]``."""

    items: list[ReproductionItem]
