"""The pipeline's last word: evaluate the gates, register, promote.

Called once a run is closed (see :mod:`nbops.hooks`). The champion is
re-scored on *this* run's held-out data, so the candidate and the champion
are compared on the same rows, never against numbers from an older test set.
Scores an earlier run took on the very same files are reused rather than
measured twice (:mod:`nbops.registry._measurements`).

* Any gate failed: nothing is registered, the champion is untouched, and
  :meth:`Outcome.error` is the one message listing every failed gate.
* All gates passed: the model is registered (once per distinct file) and,
  with ``promotion: auto``, becomes the champion when there is none yet or
  when it beats the champion on the primary metric by more than
  ``min_improvement``. With ``promotion: manual`` it becomes ``challenger``;
  with ``promotion: never`` (sweep trials) nothing is registered: the gates'
  verdict and the scores are recorded all the same.

The two manifest sections this returns are the contract with the reports
(see docs/contracts.md, "gates" and "registry").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.contracts import ChampionBefore, GatesSection, RegistrySection
from nbops.core import (
    GateFailure,
    RegistryError,
    RemoteError,
    hash_bytes,
    spec_from_feature_schema,
    spec_hash,
)
from nbops.registry import _artifacts as artifacts
from nbops.registry import _measurements as measurements
from nbops.registry import _operations as operations
from nbops.registry._card_requirement import card_refusal
from nbops.registry._config import RegistryConfig
from nbops.registry._gates import Gate, evaluate_gates, failure_lines, parse_gates
from nbops.registry._refs import DEFAULT_ALIAS

if TYPE_CHECKING:
    from nbops.contracts import DataFileRef, ModelArtifact, ModelVersion, NewVersion

logger = logging.getLogger("nbops")
CHALLENGER = "challenger"
PENDING_DECISION = ("gates passed; registering and promoting (a run interrupted here may or "
                    "may not have changed the registry: see nbops models)")


@dataclass
class Candidate:
    """What a run produced, as files on disk plus its logged metrics.

    ``hashes`` holds digests already known from the manifest (file -> hash),
    ``paths`` the product path to record for a file when it is read from the
    content store (file -> e.g. ``.nbops/products/model.skops``).
    """

    run_id: str | None
    model_file: Path
    train_data: Path
    test_data: Path
    feature_schema: Path
    metrics: dict[str, float]
    task_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    git_commit: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    model_run_id: str | None = None  # the run that trained it, when an earlier one did


@dataclass
class Outcome:
    """The manifest sections of a gated run, and the error to raise if it failed."""

    gates: GatesSection
    registry: RegistrySection
    message: str | None = None
    not_registered: RegistryError | None = None  # passed, but the registry could not be written

    @property
    def passed(self) -> bool:
        """Whether every gate passed."""
        return self.gates["verdict"] == "passed"

    def error(self) -> GateFailure | RegistryError | None:
        """The build-failing error: failed gates, or a passing model that could not be
        registered; None when the model passed and is registered."""
        if self.passed:
            return self.not_registered
        return GatesFailed(
            self.message or "quality gates failed",
            "improve the model, or adjust the thresholds under gates: in env.yaml if they "
            "are wrong (see the gates section of the run report)",
        )


class GatesFailed(GateFailure):
    """A GateFailure whose message is a block: a banner, one line per failed gate, the fix.

    Ploomber prints it after ``Exception when running on_finish for DAG …:``,
    so it starts on a line of its own.
    """

    @property
    def message(self) -> str:
        rule = "=" * 78
        return f"\n{rule}\n{self.problem.rstrip()}\nFix: {self.fix}\n{rule}"


def _require(path: Path, what: str) -> Path:
    if not Path(path).is_file():
        raise RegistryError(
            f"the {what} {path} does not exist, so the model cannot be gated or registered",
            f"check registry.{what.replace(' ', '_')} in env.yaml against the pipeline's products",
        )
    return Path(path)


def _stored(root: Path, path: Path, candidate: Candidate) -> DataFileRef:
    result = artifacts.store_of(root).put_file(path, candidate.hashes.get(str(path)))
    shown = candidate.paths.get(str(path)) or _relative(root, path)
    return {"hash": result.digest, "size": result.size, "path": shown}


def _relative(root: Path, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _better(config: RegistryConfig, candidate: float, champion: float) -> bool:
    if config.higher_is_better:
        return candidate - champion > config.min_improvement
    return champion - candidate > config.min_improvement


def gate_and_promote(root: Path, candidate: Candidate, config: RegistryConfig,
                     gates_config: Any, actor: operations.Actor | None = None,
                     earlier: tuple[str, Any] | None = None,
                     measure: measurements.Measure | None = None,
                     before_registry_write: Callable[[GatesSection, RegistrySection], None]
                     | None = None,
                     ) -> Outcome:
    """Gate the candidate against the champion, then register and promote it if it earns it.

    Args:
        gates_config: the gates, parsed (:class:`~nbops.registry._gates.Gate` objects, as
            the build's registry step passes them) or as the ``gates:`` section.
        earlier: (run id, ``gates`` section) of the run that trained the model,
            when that was an earlier run: its measurements are reused if they
            were taken on the same files (see :mod:`nbops.registry._measurements`).
        measure: what measures the model when nothing can be reused
            (default :func:`~nbops.registry._measurements.measure`, in this process).
        before_registry_write: called with the ``gates`` and (provisional)
            ``registry`` sections once the gates passed, before the registry
            file changes: the build records them first (write-ahead), so a
            champion's run always says why it was chosen.

    Raises:
        ConfigError: the gates do not parse.
        RegistryError / DataError: a product is missing or unreadable.
    """
    root = Path(root)
    actor = actor or operations.Actor.from_process(candidate.run_id)
    gates = (list(gates_config) if isinstance(gates_config, list | tuple)
             and all(isinstance(gate, Gate) for gate in gates_config)
             else parse_gates(gates_config))
    schema_path = _require(candidate.feature_schema, "feature schema")
    schema_bytes = schema_path.read_bytes()
    schema = json.loads(schema_bytes)
    _require(candidate.test_data, "test data")
    _require(candidate.train_data, "train data")
    _require(candidate.model_file, "model file")

    stored_model = _stored(root, candidate.model_file, candidate)  # scored from the store
    inputs = measurements.inputs_of(candidate)
    champ_record = measurements.current_champion(root, config)
    measured = measurements.reusable(*earlier, inputs) if earlier else None
    if measured is None:
        measured = (measure or measurements.measure)(root, candidate, config, schema, inputs,
                                                     champ_record)
    else:
        artifacts.check_types(candidate.model_file, measured.model_types, config.trusted_policy)
        logger.info("nbops registry: model and data unchanged since run %s, its scores reused",
                    measured.reused_from)
    artifact: ModelArtifact = {"hash": stored_model["hash"], "size": stored_model["size"],
                               "path": stored_model["path"], "format": "skops",
                               "trusted_types": measured.model_types}
    train_file = _stored(root, candidate.train_data, candidate)
    test_file = _stored(root, candidate.test_data, candidate)
    preparation = spec_from_feature_schema(schema)  # raw data -> model input, for serve/monitor
    record: NewVersion = {
        "run_id": candidate.model_run_id or candidate.run_id,
        "registered_by_run": candidate.run_id,
        "artifact": artifact,
        "metrics": {k: v for k, v in candidate.metrics.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)},
        "training_data": train_file,
        "test_data": test_file,
        "feature_schema": schema,
        "feature_schema_hash": hash_bytes(schema_bytes),
        "input_preparation": preparation,
        "input_preparation_hash": spec_hash(preparation),
        "git_commit": candidate.git_commit,
        "gates": "passed",
    }
    rescored = measured.candidate
    champ_metrics, champ_note = measurements.champion_scores(
        root, config, measured, champ_record, candidate.test_data, schema)

    # what nbops re-scored wins over what the notebook logged under the same name
    gate_metrics = {**candidate.metrics, **rescored}
    data_checks = measured.data
    verdict, results = evaluate_gates(gates, gate_metrics,
                                      {"data": data_checks, **candidate.task_metrics},
                                      champ_metrics, champ_note)
    champion_before: ChampionBefore | None = None if champ_record is None else {
        "version": champ_record["version"], "run_id": champ_record["run_id"],
        "metrics": champ_metrics}
    deltas = {k: rescored[k] - champ_metrics[k] for k in rescored if champ_metrics
              and k in champ_metrics}
    section: RegistrySection = {
        "model": config.model, "version": None, "new_version": False, "promoted": False,
        "alias": DEFAULT_ALIAS, "mode": config.promotion, "primary_metric": config.primary_metric,
        "candidate_metrics": rescored, "champion_before": champion_before,
        "champion_after": None if champ_record is None else champ_record["version"],
        "deltas": deltas, "champion_note": champ_note, "decision": "",
    }
    gates_section: GatesSection = {
        "verdict": verdict,
        "evaluated_on": {"hash": test_file["hash"], "path": test_file["path"],
                         "size": test_file["size"]}, "data": dict(data_checks),
        "results": [r.to_dict() for r in results], "measured": measured.to_dict()}
    before = "no champion" if champ_record is None else f"version {champ_record['version']}"
    if verdict == "failed":
        section["decision"] = f"not registered: quality gates failed; champion unchanged ({before})"
        lines = failure_lines(results)
        message = (
            f"QUALITY GATES FAILED for model {config.model!r} (run {candidate.run_id}): "
            f"{len(lines)} of {len(results)} gate(s) failed; the run is recorded as gated and "
            f"{config.model}@{DEFAULT_ALIAS} is unchanged ({before}).\n" + "\n".join(lines)
        )
        return Outcome(gates_section, section, message)

    if config.promotion == "never":
        section["decision"] = (f"not registered: the gates passed but promotion is never "
                               f"(a sweep trial or dry run); champion unchanged ({before})")
        return Outcome(gates_section, section)
    if before_registry_write is not None:
        before_registry_write(gates_section, {**section, "decision": PENDING_DECISION})
    try:
        number, new = operations.register_version(root, config.model, record)
        section["version"], section["new_version"] = number, new
        section["decision"] = _decide(root, config, number, champ_record, champ_metrics,
                                      champ_note, rescored, actor, section)
    except RemoteError as exc:  # the shared registry cannot be written: the build fails
        done = section["version"]
        failure = registration_failure(candidate.run_id, exc, None if done is None
                                       else f"{config.model}:{done}")
        what = ("not registered" if done is None
                else f"registered {config.model}:{done} but not promoted")
        section["decision"] = f"{what}: {_lower_first(exc.problem)}"
        section["registration_error"] = {"kind": exc.kind, "message": failure.message}
        return Outcome(gates_section, section, not_registered=failure)
    logger.info("nbops registry: %s", section["decision"])
    return Outcome(gates_section, section)


def registration_failure(run_id: str | None, exc: RemoteError,
                         registered: str | None = None) -> RegistryError:
    """The one sentence for a passing model the team remote's registry did not take.

    Its words come from :class:`~nbops.core.RemoteError`'s: "no credentials found for
    remote …", "remote … refused our credentials", "remote … is unreachable".
    ``registered`` names the version when registering worked and promoting did not.
    """
    what = ("was not registered (the registry and its champion are unchanged)"
            if registered is None else f"was registered as {registered} but not promoted "
            "(the champion is unchanged)")
    return RegistryError(
        f"Run {run_id}'s model passed its gates but {what}: {_lower_first(exc.problem)}",
        f"{exc.fix or 'check the remote'}; then build again (nothing retrains)")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _decide(root: Path, config: RegistryConfig, number: int, champ_record: ModelVersion | None,
            champ_metrics: dict[str, float] | None, champ_note: str | None,
            rescored: dict[str, float], actor: operations.Actor,
            section: RegistrySection) -> str:
    name, primary = config.model, config.primary_metric
    expect = None if champ_record is None else champ_record["version"]
    if champ_record is not None and champ_record["version"] == number:
        return f"{name}:{number} is already the champion (same model file)"
    if champ_record is None:
        why = f"first version to pass the gates ({primary} {rescored[primary]:.4f})"
    elif champ_metrics is None:
        return (f"registered {name}:{number} but not promoted: {champ_note}; promote by hand "
                f"with nbops promote {name} {number} --reason TEXT")
    elif _better(config, rescored[primary], champ_metrics[primary]):
        why = (f"{primary} {rescored[primary]:.4f} beats champion {name}:{expect} "
               f"{champ_metrics[primary]:.4f} on the same held-out data")
    else:
        return (f"registered {name}:{number}, champion {name}:{expect} kept: {primary} "
                f"{rescored[primary]:.4f} does not beat {champ_metrics[primary]:.4f} by more "
                f"than {config.min_improvement:g}")
    if config.promotion == "manual":
        operations.promote(root, name, number, CHALLENGER, reason=why, actor=actor)
        return (f"registered {name}:{number} as @{CHALLENGER} ({why}); promotion is manual: "
                f"nbops promote {name} {number} --reason TEXT")
    refusal = card_refusal(root, name) if config.require_card else None
    if refusal is not None:
        logger.warning("nbops registry: %s:%d not promoted: %s", name, number, refusal)
        return f"registered {name}:{number} but not promoted: {refusal}"
    try:
        operations.promote(root, name, number, DEFAULT_ALIAS, reason=why, actor=actor,
                           expect=expect)
    except operations.AliasMoved as exc:
        return f"registered {name}:{number} but not promoted: {exc.problem}"
    section["promoted"], section["champion_after"] = True, number
    return f"promoted {name}:{number} to @{DEFAULT_ALIAS}: {why}"
