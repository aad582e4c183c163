"""What gating measures, and when an earlier run's measurements stand in for it.

Gating a model measures four things that depend only on file contents and
the scoring code: the types inside the skops file, the candidate's scores on
the held-out data, facts about the train and test data, and the champion's
scores on the same rows. Measuring costs seconds (pandas, scikit-learn and
skops imports, two model loads, two scorings); a rebuild that reuses the
trained model changes none of those inputs.

So the ``gates`` section records what it measured and on what
(``measured: {inputs, model_types, candidate, data, champion}``), and a later
run whose model came from that run reuses the figures when the inputs are
identical: the four files' hashes, and the versions of nbops, scikit-learn and
skops that scored them. Gates and the promotion decision are always
re-evaluated with the current configuration and registry; a champion scored
neither then nor being the candidate's own file is scored afresh.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nbops.core import NbopsError, hash_file
from nbops.registry import _artifacts as artifacts
from nbops.registry import _registry_file as registry_file
from nbops.registry import _scoring as scoring
from nbops.registry._config import RegistryConfig
from nbops.registry._refs import DEFAULT_ALIAS, ModelRef, resolve

if TYPE_CHECKING:
    import pandas as pd

    from nbops.contracts import ModelVersion
    from nbops.core import FeatureSchemaRecord
    from nbops.registry._promotion import Candidate

logger = logging.getLogger("nbops")

#: Distributions whose code produces the measurements; a new version measures again.
SCORING_PACKAGES = ("nbops", "scikit-learn", "skops")
FILES = ("model_file", "train_data", "test_data", "feature_schema")


class ChampionScore(TypedDict):
    """The champion scored on the candidate's rows; ``note`` says why ``metrics`` is None."""

    version: int
    hash: str
    metrics: dict[str, float] | None
    note: str | None


@dataclass
class Measurements:
    """Everything gating learns from the files, and which files those were."""

    inputs: dict[str, str]
    model_types: list[str]
    candidate: dict[str, float]
    data: dict[str, float]
    #: the champion scored on these rows
    champion: ChampionScore | None = None
    reused_from: str | None = None
    #: where the figures were computed: the build process, or the warmed-up helper
    measured_in: str = "build process"

    def to_dict(self) -> dict[str, object]:
        """The manifest's ``gates.measured``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measurements:
        """Inverse of :meth:`to_dict` (the measuring helper's answer: nbops' own JSON)."""
        return cls(**data)


#: measure()'s signature: (root, candidate, config, schema, inputs, champion record).
Measure = Callable[[Path, "Candidate", RegistryConfig, "FeatureSchemaRecord", dict[str, str],
                    "ModelVersion | None"], Measurements]


def inputs_of(candidate: Candidate) -> dict[str, str]:
    """The hashes of the candidate's four files and the scoring packages' versions."""
    inputs = {name: candidate.hashes.get(str(getattr(candidate, name)))
                    or hash_file(Path(getattr(candidate, name)))
              for name in FILES}
    for package in SCORING_PACKAGES:
        try:
            inputs[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            inputs[package] = "unknown"
    return inputs


def reusable(earlier_run: str | None, earlier_gates: Any,
             inputs: dict[str, str]) -> Measurements | None:
    """The measurements recorded in ``earlier_gates`` when they were taken on ``inputs``."""
    measured = earlier_gates.get("measured") if isinstance(earlier_gates, dict) else None
    if not isinstance(measured, dict) or measured.get("inputs") != inputs:
        return None
    try:
        return Measurements(
            inputs=dict(inputs), model_types=list(measured["model_types"]),
            candidate=dict(measured["candidate"]), data=dict(measured["data"]),
            champion=measured.get("champion"),
            reused_from=measured.get("reused_from") or earlier_run,
            measured_in=str(measured.get("measured_in", "build process")),
        )
    except (KeyError, TypeError):  # an older or hand-edited manifest: measure again
        return None


def held_out(path: Path) -> Callable[[], pd.DataFrame]:
    """A reader of the test data that reads it once, and only if asked."""

    @functools.cache
    def read() -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(path)

    return read


def measure(root: Path, candidate: Candidate, config: RegistryConfig,
            schema: FeatureSchemaRecord, inputs: dict[str, str],
            champion: ModelVersion | None) -> Measurements:
    """Inspect and score the candidate, describe its data, score the champion on it.

    ``champion`` is the champion's registry record (None: there is none); it
    is scored only when it is another file than the candidate.

    Raises:
        RegistryError: the model file is not skops or uses untrusted types.
        DataError: the held-out data cannot be scored.
    """
    test = held_out(candidate.test_data)
    types = artifacts.inspect_types(candidate.model_file, config.trusted_policy)
    record: artifacts.LoadableVersion = {
        "run_id": candidate.model_run_id or candidate.run_id,
        "artifact": {"hash": inputs["model_file"], "size": candidate.model_file.stat().st_size,
                     "format": "skops", "trusted_types": types}}
    model = artifacts.load_verified(root, record, f"{config.model} candidate",
                                    policy=config.trusted_policy)
    measured = Measurements(inputs=dict(inputs), model_types=types,
                            candidate=scoring.evaluate(model, test(), schema),
                            data=data_facts(candidate.train_data, test(), schema))
    if champion is not None and champion["artifact"]["hash"] != inputs["model_file"]:
        measured.champion = score_champion(root, config, champion, test, schema)
    return measured


def data_facts(train: Path, test: pd.DataFrame, schema: FeatureSchemaRecord) -> dict[str, float]:
    """Facts about the data the model was trained and tested on, for ``data.*`` gates."""
    import pyarrow.parquet as pq

    target = schema.get("target")
    positives = int(test[target].sum()) if target in test.columns else 0
    features = [f["name"] for f in schema.get("features", []) if f["name"] in test.columns]
    missing = test[features].isna().mean() if features and len(test) else None
    return {
        "train_rows": float(pq.ParquetFile(train).metadata.num_rows),
        "test_rows": float(len(test)),
        "test_positives": float(positives),
        "test_negatives": float(len(test) - positives),
        "test_max_missing_rate": float(missing.max()) if missing is not None else 0.0,
    }


def current_champion(root: Path, config: RegistryConfig) -> ModelVersion | None:
    """The registry record of ``config.model``'s champion, or None."""
    registry = registry_file.read(root)
    model = registry["models"].get(config.model)
    if not model or DEFAULT_ALIAS not in model["aliases"]:
        return None
    return resolve(registry, ModelRef(config.model, alias=DEFAULT_ALIAS))


def score_champion(root: Path, config: RegistryConfig, record: ModelVersion,
                   test: Callable[[], pd.DataFrame],
                   schema: FeatureSchemaRecord) -> ChampionScore:
    """The champion scored on ``test``: ``{version, hash, metrics, note}`` (note: why not)."""
    number = record["version"]
    metrics: dict[str, float] | None = None
    note: str | None = None
    try:
        champion = artifacts.load_verified(root, record, f"{config.model}:{number} (champion)",
                                           policy=config.trusted_policy)
        metrics = scoring.evaluate(champion, test(), record["feature_schema"], schema.get("target"))
    except NbopsError as exc:
        note = (f"the champion {config.model}:{number} could not be re-scored on this run's "
                f"held-out data: {exc.problem}")
        logger.warning(note)
    return {"version": number, "hash": record["artifact"]["hash"], "metrics": metrics,
            "note": note}


def champion_scores(root: Path, config: RegistryConfig, measured: Measurements,
                    record: ModelVersion | None, test_data: Path, schema: FeatureSchemaRecord,
                    ) -> tuple[dict[str, float] | None, str | None]:
    """The champion's scores on the candidate's held-out rows, and why they are missing.

    From the candidate's own scores when the champion is the same model file,
    else from ``measured.champion`` when that scored the same file (a reused
    failure is retried), else the champion is scored now and recorded there.
    """
    if record is None:
        return None, None
    digest = record["artifact"]["hash"]
    if digest == measured.inputs["model_file"]:
        return dict(measured.candidate), None
    known = measured.champion
    stale = (not known or known.get("hash") != digest
             or (known.get("metrics") is None and measured.reused_from))
    if stale:
        known = measured.champion = score_champion(root, config, record, held_out(test_data),
                                                   schema)
    assert known is not None
    return known["metrics"], known["note"]
