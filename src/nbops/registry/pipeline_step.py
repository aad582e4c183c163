"""The registry's post-close step: gate the run's model, then register and promote it.

Listed in :data:`nbops.hooks.POST_CLOSE_STEPS`; receives the closed run's
:class:`~nbops.runs.RunContext`. It reads its settings from the build's
resolved ``env.yaml`` (``gates:`` and ``registry:``, command-line
``--env--…`` overrides included), finds the model, data and feature schema
among the run's products by path, reads them back from the content store by
the hashes the manifest recorded, and writes the ``gates`` and ``registry``
manifest sections. A failed gate marks the run ``gated`` and raises the one
:class:`~nbops.core.errors.GateFailure` message that fails the build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from nbops.core.errors import NbopsError, RegistryError
from nbops.registry import artifacts
from nbops.registry.config import RegistryConfig, parse_registry_config
from nbops.registry.gates import parse_gates
from nbops.registry.operations import Actor
from nbops.registry.promotion import Candidate, gate_and_promote

logger = logging.getLogger("nbops")


#: run id -> the helper started for it by :func:`prepare`, until its gating step
_HELPERS: dict[str, Any] = {}


def prepare(project: Any, run_id: str, env: dict[str, Any], tasks: list[Any]) -> None:
    """At ``on_render``: when this build will train the model, start the measuring helper.

    The helper imports what gating needs while the notebooks run (see
    :mod:`nbops.registry.measure_helper`); a build that reuses the model needs none.
    """
    if env.get("registry") is None:
        return
    config = parse_registry_config(env["registry"], project.name)
    model_file = (project.root / config.model_file).resolve()
    if any(task.will_run and model_file in {Path(p).resolve() for p in task.products.values()}
           for task in tasks):
        from nbops.registry.measure_helper import MeasureHelper

        _HELPERS[run_id] = MeasureHelper(project.root)


def check_settings(gates: Any, registry: Any) -> None:
    """Parse the ``gates:`` and ``registry:`` sections, so a typo fails before the build runs.

    Called from ``on_render`` with the values Ploomber expanded from env.yaml.

    Raises:
        ConfigError: naming the bad gate or registry key.
    """
    parse_gates(gates)
    if registry is not None:
        parse_registry_config(registry)


def _product(root: Path, manifest: dict[str, Any], wanted: str) -> tuple[str, str, str | None]:
    """(path as recorded, hash, producing run) of the product whose path is ``wanted``."""
    target = (root / wanted).resolve()
    for task in manifest["tasks"].values():
        for product in (task.get("products") or {}).values():
            path = product.get("path")
            if path and (root / path).resolve() == target and product.get("hash"):
                return path, product["hash"], task.get("produced_by")
    raise RegistryError(
        f"no product of this run is {wanted}, so the model cannot be gated or registered",
        "make registry.* paths in env.yaml match product paths in pipeline.yaml",
    )


def trains_a_model(root: Path, manifest: dict[str, Any], config: RegistryConfig) -> bool:
    """Whether any product of the run is one of the registry's files.

    A build of another pipeline of the project (e.g. ``pipeline.monitor.yaml``)
    has none and is not gated; a training build missing only some of them is a
    misconfiguration that :func:`candidate_from_manifest` reports.
    """
    wanted = {(root / getattr(config, f)).resolve()
              for f in ("model_file", "train_data", "test_data", "feature_schema")}
    return any(
        product.get("path") and (root / product["path"]).resolve() in wanted
        for task in manifest["tasks"].values()
        for product in (task.get("products") or {}).values()
    )


def _partial_without_model(root: Path, manifest: dict[str, Any],
                           config: RegistryConfig) -> bool:
    """A ``--partially`` build whose lineage stops before the model file."""
    if not (manifest.get("build") or {}).get("partially"):
        return False
    try:
        _product(root, manifest, config.model_file)
    except RegistryError:
        return True
    return False


def candidate_from_manifest(root: Path, manifest: dict[str, Any],
                            config: RegistryConfig) -> Candidate:
    """The run's model, data and schema, as verified content-store objects."""
    store = artifacts.store_of(root)
    files: dict[str, Path] = {}
    known: dict[str, str] = {}
    shown: dict[str, str] = {}
    names = ("model_file", "train_data", "test_data", "feature_schema")
    found = {name: _product(root, manifest, getattr(config, name)) for name in names}
    producers = {name: found[name][2] for name in names}
    for field_name, (path, digest, _) in found.items():
        store.verify(digest)
        stored = store.path_for(digest)
        files[field_name] = stored
        known[str(stored)] = digest
        shown[str(stored)] = path
    task_metrics = {name: dict(task.get("metrics") or {})
                    for name, task in manifest["tasks"].items()}
    git = manifest.get("provenance", {}).get("git") or {}
    return Candidate(
        run_id=manifest["run_id"], metrics=dict(manifest.get("metrics") or {}),
        task_metrics=task_metrics, git_commit=git.get("commit"), hashes=known,
        paths=shown, model_run_id=producers["model_file"], **files,
    )


def _trainer_gates(project: Any, candidate: Candidate) -> tuple[str, Any] | None:
    """(run id, ``gates`` section) of the earlier run that trained the model, if readable."""
    from nbops.runs import load_manifest

    trainer = candidate.model_run_id
    if not trainer or trainer == candidate.run_id:
        return None
    try:
        return trainer, load_manifest(project, trainer).get("gates")
    except NbopsError as exc:  # collected or unreadable: the model is simply measured again
        logger.info("nbops registry: run %s's record is unavailable (%s); measuring again",
                    trainer, exc.problem)
        return None


def gate_after_close(context: Any) -> None:
    """Post-close step: gates, registration, promotion; manifest sections and status."""
    helper = _HELPERS.pop(context.run_id, None)
    try:
        _gate(context, helper)
    finally:
        if helper is not None:
            helper.close()


def _measure_with(helper: Any) -> Any:
    """measure() through the warmed-up helper, or in this process if it cannot answer."""
    from nbops.registry.measure_helper import HelperGone
    from nbops.registry.measurements import measure

    def measure_via_helper(*args: Any) -> Any:
        try:
            return helper.measure(*args)
        except HelperGone as exc:
            logger.warning("nbops registry: %s; measuring in the build process instead", exc)
            return measure(*args)

    return measure_via_helper


def _gate(context: Any, helper: Any) -> None:
    from nbops.runs import set_status, update_section

    if context.status != "succeeded":
        logger.info("nbops registry: run %s %s, nothing to gate", context.run_id, context.status)
        return
    env = context.env
    if env.get("registry") is None:
        logger.info("nbops registry: no registry: section in env.yaml, nothing to register")
        return
    project, run_id = context.project, context.run_id
    try:
        config = parse_registry_config(env["registry"], project.name)
        if not trains_a_model(project.root, context.manifest, config):
            logger.info("nbops registry: run %s produced none of the registry's files "
                        "(%s), nothing to gate", run_id, config.model_file)
            return
        if _partial_without_model(project.root, context.manifest, config):
            logger.info("nbops registry: run %s is a partial build (--partially %s) that "
                        "does not build the model, nothing to gate", run_id,
                        context.manifest["build"]["partially"])
            return
        candidate = candidate_from_manifest(project.root, context.manifest, config)
        outcome = gate_and_promote(project.root, candidate, config, env.get("gates"),
                                   Actor.from_process(run_id), _trainer_gates(project, candidate),
                                   None if helper is None else _measure_with(helper))
    except NbopsError as exc:
        update_section(project, run_id, "gates", {"verdict": "error", "results": [],
                                                  "error": str(exc)})
        set_status(project, run_id, "gated")
        raise
    update_section(project, run_id, "gates", outcome.gates)
    update_section(project, run_id, "registry", outcome.registry)
    error = outcome.error()
    if error is not None:
        set_status(project, run_id, "gated")
        raise error
