"""The model card's formats: ``card_evaluation.json`` and the ``card`` section's inner parts.

``CardEvaluation`` mirrors ``nbops/cards/schemas/card_evaluation.schema.json`` (written by
the evaluate step, :func:`nbops.cards.write_evaluation`); the ``Card*`` parts are the
fields of ``manifest["card"]`` (``card.section.schema.json``), which nbops.cards writes and
the reports and ``nbops card`` read. ``tests/nbops/contracts`` keeps their keys equal to
the schemas' properties. (No ``from __future__ import annotations``: ``NotRequired`` must be
seen at run time.)
"""

from typing import NotRequired, TypedDict

from nbops.contracts._json import JSONObject


class ModelDescription(TypedDict):
    """The fitted model's final estimator and its pipeline steps (``evaluation.model``)."""

    type: str
    module: str
    steps: list[str]


class DataFacts(TypedDict):
    """Rows, class balance and date range of a frame (``evaluation.data.test``...)."""

    rows: int
    positives: int
    negatives: int
    positive_rate: float | None
    date_range: list[str] | None


class EvaluationData(TypedDict):
    """The test frame's facts and, when the step passed it, the training frame's."""

    test: DataFacts
    train: NotRequired[DataFacts]


class Interval(TypedDict):
    """A metric with its bootstrap interval (None where the metric is undefined)."""

    value: float | None
    low: float | None
    high: float | None
    std: float | None


class Bootstrap(TypedDict):
    """How the intervals were resampled."""

    resamples: int
    level: float


class SliceRow(TypedDict):
    """One slice (one value, or quartile range, of a column) and its metrics."""

    value: str
    rows: int
    positives: int
    metrics: dict[str, float | None]


class SliceSummary(TypedDict):
    """Per metric: the best and worst ranked slice and the gap between them."""

    best: str
    best_value: float
    worst: str
    worst_value: float
    gap: float


class SliceColumn(TypedDict):
    """Every slice of one column and, per metric, its summary."""

    column: str
    slices: list[SliceRow]
    summary: dict[str, SliceSummary]


class CalibrationBin(TypedDict):
    """One reliability bin: its probability range, rows, mean prediction, observed rate."""

    low: float
    high: float
    rows: int
    mean_predicted: float
    observed_rate: float


class Calibration(TypedDict):
    """Reliability bins, the Brier score and the expected calibration error."""

    bins: list[CalibrationBin]
    brier: float
    expected_calibration_error: float


class ImportanceItem(TypedDict):
    """One feature's permutation importance: the mean score drop and its spread."""

    feature: str
    mean: float
    std: float


class Importance(TypedDict):
    """Permutation importance of every feature, largest first."""

    scoring: str
    repeats: int
    rows: int
    features: list[ImportanceItem]


class CardEvaluation(TypedDict):
    """``card_evaluation.json``: the numbers of a model card, measured in the build."""

    schema_version: int
    threshold: float
    seed: int
    target: str
    model: ModelDescription
    data: EvaluationData
    metrics: dict[str, Interval]
    bootstrap: Bootstrap
    slices: list[SliceColumn]
    slices_missing: str | None
    gate_metrics: dict[str, float]
    calibration: Calibration
    importance: Importance


class CardModelType(ModelDescription):
    """``card.model.type``: the model's description and the types it was trusted to load."""

    trusted_types: list[str]


class CardCode(TypedDict):
    """``card.model.code``: the commit the model was built from."""

    commit: str | None
    branch: str | None
    dirty: bool | None


class CardEnvironment(TypedDict):
    """``card.model.environment``: the Python, platform and key packages of the build."""

    python: str
    platform: str
    lock_hash: str | None
    packages: dict[str, str]


class CardModel(TypedDict):
    """``card.model``: which model, its type, parameters, code and environment."""

    name: str | None
    version: int | None
    type: CardModelType
    parameters: JSONObject
    code: CardCode
    environment: CardEnvironment


class CardDataSource(TypedDict):
    """``card.data.source``: env.yaml's ``data:`` section and the build's input files."""

    env: JSONObject | None
    inputs: dict[str, str | None]


class CardDataFile(TypedDict, total=False):
    """``card.data.train``/``test``: the stored frame (hash, path) and its facts, as known."""

    hash: str | None
    path: str
    rows: int
    positives: int
    negatives: int
    positive_rate: float | None
    date_range: list[str] | None


class CardFeature(TypedDict):
    """One feature of the model's feature schema."""

    name: str | None
    dtype: str | None


class CardFeatureSchema(TypedDict):
    """``card.data.schema``: the target, date column and features the model was built on."""

    target: str | None
    date_column: str | None
    features: list[CardFeature]


class CardData(TypedDict):
    """``card.data``: where the data came from, its train and test frames, its schema."""

    source: CardDataSource
    train: CardDataFile | None
    test: CardDataFile | None
    schema: CardFeatureSchema | None


class CardEvaluationRef(TypedDict):
    """``card.evaluation``: the stored ``card_evaluation.json`` and its content."""

    hash: str
    path: str
    content: CardEvaluation


class CardGateResult(TypedDict):
    """One gate as the card shows it."""

    name: str
    expression: str
    verdict: str
    value: float | None
    threshold: float | None
    detail: str


class CardGates(TypedDict):
    """``card.gates``: the run's gate verdict and each gate's result."""

    verdict: str
    results: list[CardGateResult]
