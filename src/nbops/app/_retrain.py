"""Retrain under ``monitoring.retrain_policy``; promote only a candidate that wins.

One use-case over three features: monitoring decides whether and on what to train, a
plain ``ploomber build`` trains through the quality gates (registering the candidate
with promotion ``manual``), the registry scores and promotes. The build is tagged
with an id of its own (``NBOPS_RUN_TAGS``) and its outcome is read from the run that
carries that tag: a build that another user or job started meanwhile, newer in the
ledger, is never mistaken for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nbops.contracts import Manifest
from nbops.core import NbopsError, Project

if TYPE_CHECKING:
    import pandas as pd

    from nbops.contracts import ModelVersion

#: The tag a retraining build's run carries: ``{"purpose": "retrain", "retrain": ID}``.
RETRAIN_TAG = "retrain"


class ModelScore(TypedDict):
    """A model's version and its ROC AUC on the shared holdout."""

    version: int | None
    roc_auc: float


class RetrainOutcome(TypedDict, total=False):
    """What a retrain did, as ``nbops monitor --json`` prints it under ``retrain``.

    ``status`` is always there: ``not_needed``, ``skipped`` (with ``reason``), ``failed``
    (the build registered nothing: ``returncode``, ``output_tail``), ``promoted`` or
    ``not_promoted`` (with ``candidate`` and ``champion``).
    """

    status: str
    reason: str
    why: list[str]
    lines: list[str]
    command: list[str]
    returncode: int
    training_rows: int
    champion_rows: int
    recent_rows: int
    holdout_rows: int
    output_tail: str
    promoted: bool
    candidate: ModelScore
    champion: ModelScore


@dataclass(frozen=True)
class RetrainRequest:
    """What a retrain starts from: the champion, the monitored batch, the policy.

    Attributes:
        root: the project folder.
        champion: the champion (``nbops.monitoring.Champion``).
        record: the champion's registry record.
        report: the monitoring report of the batch, as a dict.
        frame: the batch, cleaned as the champion's data was (None: unreadable).
        target: the label column.
        settings: the ``monitoring:`` settings (``retrain_policy``).
        trusted_types: the types the project trusts (``registry.trusted_types``, from the
            command's one read of env.yaml); None: read from env.yaml when the candidate
            is loaded.
    """

    root: Path
    champion: Any
    record: ModelVersion
    report: dict[str, Any]
    frame: pd.DataFrame | None
    target: str | None
    settings: dict[str, Any]
    trusted_types: frozenset[str] | None = None


def own_run(project: Project, retrain_id: str) -> Manifest | None:
    """The manifest of the run tagged with ``retrain_id`` (None: the build recorded none)."""
    from nbops.runs import list_runs, load_manifest

    mine = [s for s in list_runs(project)
            if (s.get("tags") or {}).get(RETRAIN_TAG) == retrain_id]
    return load_manifest(project, mine[-1]["run_id"]) if mine else None


def retrain_champion(request: RetrainRequest) -> RetrainOutcome:
    """Retrain when the policy's triggers fire; promote the candidate only if it wins.

    Trains (a normal build through the quality gates, same model name, promotion
    manual) on the champion's training data plus the older recent rows, scores
    candidate and champion on the newest recent rows, and promotes the candidate
    when it beats the champion there by more than ``min_margin``.

    Returns:
        The outcome: ``status`` (``not_needed``, ``skipped``, ``failed``, ``promoted``,
        ``not_promoted``), ``lines`` to show, and the figures behind the decision.
    """
    from nbops.monitoring import RetrainPolicy, reasons_to_retrain, split_recent

    champion, frame, target = request.champion, request.frame, request.target
    policy = RetrainPolicy.from_mapping(request.settings.get("retrain_policy"))
    why, checked = reasons_to_retrain(policy, request.report, request.record.get("registered_at"))
    if not why:
        return {"status": "not_needed", "reason": "; ".join(checked) or "no trigger fired",
                "lines": []}
    if frame is None or not target or target not in frame.columns \
            or not frame[target].notna().any():
        return {"status": "skipped", "reason": "the batch has no labels to train on",
                "why": why, "lines": [f"why: {w}" for w in why]}
    data = split_recent(champion.training, frame, target, champion.schema.get("date_column"),
                        policy.holdout_fraction)
    outcome, manifest = _train(request, data, why)
    section = manifest.get("registry") if manifest is not None else None
    registered = section.get("version") if section is not None else None
    if outcome["returncode"] != 0 or registered is None:
        outcome["lines"].append(
            f"the retraining build did not register a model (exit {outcome['returncode']}: "
            f"a failed quality gate ends this way); champion {champion.label} kept")
        return {**outcome, "status": "failed", "promoted": False}
    assert manifest is not None
    return {**outcome, **_decide(request, data, policy.min_margin, why, int(registered),
                                 manifest, outcome["lines"])}


def _train(request: RetrainRequest, data: Any, why: list[str]
           ) -> tuple[RetrainOutcome, Manifest | None]:
    """Run the tagged training build on ``data.training``; its outcome and its own run."""
    from nbops.monitoring import retrain_command, run_retrain

    root, champion = request.root, request.champion
    folder = root / ".nbops" / "retrain" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    data_path = folder / "training.parquet"
    data.training.to_parquet(data_path, index=False)
    argv = retrain_command(data_path, request.target, {"registry.model": champion.name,
                                                       "registry.promotion": "manual"})
    retrain_id = uuid.uuid4().hex[:16]
    done = run_retrain(root, argv, tags={"purpose": "retrain", RETRAIN_TAG: retrain_id})
    lines = [f"why: {w}" for w in why] + [
        f"data: {champion.label} training data ({data.champion_rows:,} rows) + "
        f"{data.recent_rows:,} older recent labelled rows = {len(data.training):,} rows "
        f"({data_path.relative_to(root)})",
        f"shared holdout: the {len(data.holdout):,} newest recent labelled rows "
        "(neither model trained on them)"]
    outcome: RetrainOutcome = {
        "why": why, "command": argv[1:], "returncode": done.returncode,
        "training_rows": len(data.training), "champion_rows": data.champion_rows,
        "recent_rows": data.recent_rows, "holdout_rows": len(data.holdout),
        "lines": lines, "output_tail": (done.stdout + done.stderr)[-4000:]}
    return outcome, own_run(Project(root), retrain_id)


def _decide(request: RetrainRequest, data: Any, min_margin: float, why: list[str],
            registered: int, manifest: Manifest, lines: list[str]) -> RetrainOutcome:
    """Score candidate and champion on the shared holdout; promote the candidate if it wins."""
    from nbops.core import of_version
    from nbops.monitoring import holdout_auc, should_promote
    from nbops.registry import Actor, get_version, load_verified, promote
    from nbops.validation import prepare_for_model

    root, champion, target = request.root, request.champion, str(request.target)
    candidate_label = f"{champion.name}:{registered}"
    holdout, problems = prepare_for_model(data.holdout, of_version(request.record))
    if problems:
        raise NbopsError(f"the holdout cannot be scored: {problems[0].message}",
                         "check the batch's columns")
    y = data.holdout[target]
    champion_auc = holdout_auc(champion.model.predict_proba(holdout)[:, 1], y)
    candidate_model = load_verified(root, get_version(candidate_label, root), candidate_label,
                                    policy=request.trusted_types)
    candidate_auc = holdout_auc(candidate_model.predict_proba(holdout)[:, 1], y)
    promoted = should_promote(candidate_auc, champion_auc, min_margin)
    lines.append(f"on the shared holdout: candidate {candidate_label} ROC AUC "
                 f"{candidate_auc:.4f}, champion {champion.label} {champion_auc:.4f} "
                 f"(must beat it by more than {min_margin:g})")
    if promoted and registered != champion.version:
        reason = (f"retrained ({'; '.join(why)}): ROC AUC {candidate_auc:.4f} vs "
                  f"{champion_auc:.4f} on {len(data.holdout):,} recent held-out rows")
        promote(root, champion.name, registered, reason=reason,
                actor=Actor.from_process(manifest.get("run_id")), expect=champion.version)
        lines.append(f"decision: promoted {candidate_label} to {champion.name}@champion")
    else:
        promoted = False
        lines.append(f"decision: not promoted; {champion.label} stays champion")
    assert get_version(f"{champion.name}@champion", root)["version"] == (
        registered if promoted else champion.version)
    return {"status": "promoted" if promoted else "not_promoted", "promoted": promoted,
            "candidate": {"version": registered, "roc_auc": candidate_auc},
            "champion": {"version": champion.version, "roc_auc": champion_auc}}
