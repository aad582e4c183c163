"""The registry's post-close step: gate the run's model, then register and promote it.

:class:`RegistryStep` is listed in :data:`nbops.hooks.POST_CLOSE_STEPS`; it
receives the closing run's :class:`~nbops.runs.RunContext`. It reads its settings from the build's
resolved ``env.yaml`` (``gates:`` and ``registry:``, command-line
``--env--…`` overrides included), finds the model, data and feature schema
among the run's products by path, reads them back from the content store by
the hashes the manifest recorded, and writes the ``gates`` and ``registry``
manifest sections (:data:`~nbops.contracts.GATES`,
:data:`~nbops.contracts.REGISTRY`). They are written *before* the
registry file changes (and again with the final decision after), so a build
killed in between leaves a champion whose run records why it was chosen. A
failed gate sets the run's outcome to ``gated`` and raises the one
:class:`~nbops.core._errors.GateFailure` message that fails the build.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.contracts import GATES, REGISTRY, GatesSection, Manifest, RegistrySection
from nbops.core import NbopsError, RegistryError

# The registry's machinery (configuration, gates, operations, promotion) is imported by
# the functions that use it, once the build has a registry: section: a build without one
# (a project that adopted nbops for its run records only) never loads it.
if TYPE_CHECKING:
    from nbops.core import FeatureSchemaRecord
    from nbops.registry._config import RegistryConfig
    from nbops.registry._gates import Gate
    from nbops.registry._measure_helper import MeasureHelper
    from nbops.registry._promotion import Candidate
    from nbops.runs import OpenContext, RunContext

logger = logging.getLogger("nbops")


class RegistryStep:
    """The post-close step: gates, registration, promotion.

    Its measuring helper (started by :meth:`prepare` when the build will train
    the model) and the ``registry:`` settings :meth:`prepare` parsed live on the step
    object, one per build.
    """

    name = "registry"

    def __init__(self) -> None:
        self.helper: MeasureHelper | None = None
        self.config: RegistryConfig | None = None

    def prepare(self, ctx: OpenContext) -> None:
        """At ``on_render``: when this build will train the model, start the measuring helper.

        The helper imports what gating needs while the notebooks run (see
        :mod:`nbops.registry._measure_helper`); a build that reuses the model needs none,
        nor does one whose process already imported all of it (a sweep's trial, forked
        by its warmed-up trial server): it measures in-process.
        """
        registry = ctx.env.get("registry")
        if registry is None:
            return
        from nbops.registry._parsed_sections import registry_config_of

        config = self.config = registry_config_of(registry, ctx.project.name)
        model_file = (ctx.project.root / config.model_file).resolve()
        if any(task.will_run and model_file in {Path(p).resolve()
                                                for p in task.products.values()}
               for task in ctx.tasks):
            if measuring_imported():
                return  # measuring in this process costs no imports
            from nbops.runtime import speedups_off

            if speedups_off():
                return  # NBOPS_RUNTIME=plain: measure in this process, after the build
            from nbops.registry._measure_helper import MeasureHelper

            self.helper = MeasureHelper(ctx.project.root)

    def run(self, ctx: RunContext) -> None:
        """Gate, register and promote the run's model (see the module docstring)."""
        try:
            _gate(ctx, self.helper, self.config)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the measuring helper, if one was started."""
        helper, self.helper = self.helper, None
        if helper is not None:
            helper.close()


def measuring_imported() -> bool:
    """Whether this process already imported everything measuring a model needs (a sweep's
    trial, forked by its warmed-up trial server: :func:`nbops.runtime.trial_server.warm_up`)."""
    from nbops.registry._measure_helper import WARM_IMPORTS

    return all(module in sys.modules for module in WARM_IMPORTS)


def check_settings(gates: Any, registry: Any,
                   project_name: str = "model") -> RegistryConfig | None:
    """Parse the ``gates:`` and ``registry:`` sections, so a typo fails before the build runs.

    Called from ``on_render`` with the values Ploomber expanded from env.yaml; returns
    the parsed ``registry:`` (None without one) for :func:`check_model_product`.

    Gates without a ``registry:`` would never be evaluated (the registry step gates
    the model), so they are refused rather than left to look guarded.

    Raises:
        ConfigError: naming the bad gate or registry key.
    """
    from nbops.registry._parsed_sections import gates_of, registry_config_of

    parsed = gates_of(gates)
    if registry is not None:
        return registry_config_of(registry, project_name)
    if parsed:
        from nbops.core import ConfigError

        names = ", ".join(gate.name for gate in parsed)
        raise ConfigError(
            f"gates: in env.yaml declares {names} but there is no registry: section, so no "
            "gate would ever be evaluated",
            "add a registry: section naming your model's products (nbops init --registry "
            "proposes one), or remove gates:",
        )
    return None


def check_model_product(registry: Any, project: Any, tasks: list[Any],
                        config: RegistryConfig | None = None) -> None:
    """The registry's model file is a product of this pipeline (checked at ``on_render``).

    A pipeline that passes ``registry: '{{registry}}'`` to ``on_render`` trains the
    registered model; if no task produces ``registry.model_file``, its runs could never
    be gated or registered, so the build fails before any task runs.

    ``config``: ``registry`` parsed already (:func:`check_settings` returns it).

    Raises:
        ConfigError: naming the missing product and the file products there are.
    """
    from nbops.core import ConfigError
    from nbops.registry._parsed_sections import registry_config_of

    if config is None:
        config = registry_config_of(registry, project.name)
    unnamed = [key for key in ("model_file", "train_data", "test_data", "feature_schema")
               if key not in registry]
    if unnamed:  # never fall back on paths of some other project's layout
        raise ConfigError(
            f"registry: in env.yaml names no {', '.join(unnamed)}, so nbops cannot tell "
            "which products are the model and its data",
            "set each to a product path of your pipeline (nbops init --registry proposes them)",
        )
    wanted = (project.root / config.model_file).resolve()
    produced = [Path(p) for task in tasks for p in task.products.values()]
    if wanted in {p.resolve() for p in produced}:
        return
    models = [project.relative(p) for p in produced
              if p.suffix in {".skops", ".pkl", ".pickle", ".joblib"}]
    shown = f" (model-like products: {', '.join(models)})" if models else ""
    raise ConfigError(
        f"registry.model_file is {config.model_file}, which no task of this pipeline "
        f"produces{shown}, so no run could be gated or registered",
        "set registry.model_file in env.yaml to the product path of your model, or remove "
        "registry: '{{registry}}' from on_render in the pipeline that does not train it",
    )


def _product(root: Path, manifest: Manifest, wanted: str) -> tuple[str, str, str | None]:
    """(path as recorded, hash, producing run) of the product whose path is ``wanted``."""
    target = (root / wanted).resolve()
    for task in manifest["tasks"].values():
        for product in (task.get("products") or {}).values():
            path, digest = product.get("path"), product.get("hash")
            if path and (root / path).resolve() == target and digest:
                return path, digest, task.get("produced_by")
    raise RegistryError(
        f"no product of this run is {wanted}, so the model cannot be gated or registered",
        "make registry.* paths in env.yaml match product paths in pipeline.yaml",
    )


def trains_a_model(root: Path, manifest: Manifest, config: RegistryConfig) -> bool:
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


def _partial_without_model(root: Path, manifest: Manifest,
                           config: RegistryConfig) -> bool:
    """A ``--partially`` build whose lineage stops before the model file."""
    if not (manifest.get("build") or {}).get("partially"):
        return False
    try:
        _product(root, manifest, config.model_file)
    except RegistryError:
        return True
    return False


def candidate_from_manifest(root: Path, manifest: Manifest,
                            config: RegistryConfig) -> Candidate:
    """The run's model, data and schema, as verified content-store objects."""
    from nbops.registry import _artifacts as artifacts
    from nbops.registry._promotion import Candidate

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


def gate_after_close(context: RunContext) -> None:
    """Gates, registration, promotion without a helper (what :class:`RegistryStep` runs)."""
    RegistryStep().run(context)


def missing_inputs(champion_schema: FeatureSchemaRecord | None,
                   schema: Mapping[str, object]) -> list[str]:
    """The champion's input features that this run's feature schema does not have."""
    features = schema.get("features", [])
    have = ({f.get("name") for f in features if isinstance(f, dict)}
            if isinstance(features, list) else set())
    registered: list[object] = list(champion_schema.get("features", [])) if champion_schema else []
    wanted = [f.get("name") for f in registered if isinstance(f, dict)]
    return [str(name) for name in wanted if name not in have]


def own_experiment(root: Path, config: RegistryConfig, candidate: Candidate,
                   env: Mapping[str, object]) -> tuple[RegistryConfig, str | None]:
    """Register a model whose data does not fit the champion's input under its own name.

    A model trained on other columns (the telco file after the embedded churn
    data) is not a regression of the champion: re-scoring the champion on this
    run's rows would fail on the missing columns. Such a run belongs to another
    experiment (:mod:`nbops.core._experiment`): its model is registered and
    compared as ``<registry.model>.<data file stem>`` (e.g.
    ``churn.telco-customer-churn``), unless that name's champion does not fit
    either, in which case nothing changes and the gates say why.

    Returns:
        the configuration to gate with, and the sentence saying why the name
        changed (None when it did not).
    """
    import dataclasses
    import json

    from nbops.core import data_slug
    from nbops.registry._measurements import current_champion

    champion = current_champion(root, config)
    if champion is None:
        return config, None
    schema = json.loads(Path(candidate.feature_schema).read_bytes())
    missing = missing_inputs(champion.get("feature_schema"), schema)
    if not missing:
        return config, None
    name = f"{config.model}.{data_slug(env)}"[:64].rstrip(".-")
    moved = dataclasses.replace(config, model=name)
    other = current_champion(root, moved)
    if other is not None and missing_inputs(other.get("feature_schema"), schema):
        return config, None
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    note = (f"this run's data does not fit {config.model}:{champion['version']}'s input "
            f"(no {shown}), so it is its own experiment: registered as {name} "
            f"(set registry.model to name it yourself)")
    logger.info("nbops registry: %s", note)
    return moved, note


def _measure_with(helper: Any) -> Any:
    """measure() through the warmed-up helper, or in this process if it cannot answer."""
    from nbops.registry._measure_helper import HelperGone
    from nbops.registry._measurements import measure

    def measure_via_helper(*args: Any) -> Any:
        try:
            return helper.measure(*args)
        except HelperGone as exc:
            logger.warning("nbops registry: %s; measuring in the build process instead", exc)
            return measure(*args)

    return measure_via_helper


def _gate(context: RunContext, helper: MeasureHelper | None,
          prepared: RegistryConfig | None = None) -> None:
    if context.status != "succeeded":
        logger.info("nbops registry: run %s %s, nothing to gate", context.run_id, context.status)
        return
    env = context.env
    if env.get("registry") is None:
        logger.info("nbops registry: no registry: section in env.yaml, nothing to register")
        return
    from nbops.registry._operations import Actor
    from nbops.registry._parsed_sections import gates_of, registry_config_of
    from nbops.registry._promotion import gate_and_promote

    project, run_id = context.project, context.run_id
    try:
        config = prepared or registry_config_of(env["registry"], project.name)
        if not trains_a_model(project.root, context.manifest, config):
            # said aloud: a registry that matches nothing guards nothing (a pipeline that
            # trains the model passes registry: '{{registry}}' to on_render, which fails
            # its build before any task runs: check_model_product)
            logger.warning("nbops registry: run %s produced none of the registry's files "
                           "(registry.model_file is %s), so nothing was gated or registered",
                           run_id, config.model_file)
            return
        if _partial_without_model(project.root, context.manifest, config):
            logger.info("nbops registry: run %s is a partial build (--partially %s) that "
                        "does not build the model, nothing to gate", run_id,
                        context.manifest["build"]["partially"])
            return
        candidate = candidate_from_manifest(project.root, context.manifest, config)

        def write_ahead(gates: GatesSection, registry: RegistrySection) -> None:
            context.update(GATES, gates)
            context.update(REGISTRY, registry)

        config, moved = own_experiment(project.root, config, candidate, env)
        gates: tuple[Gate, ...] = gates_of(env.get("gates"))
        outcome = gate_and_promote(project.root, candidate, config, gates,
                                   Actor.from_process(run_id), _trainer_gates(project, candidate),
                                   None if helper is None else _measure_with(helper),
                                   before_registry_write=write_ahead)
    except NbopsError as exc:
        failed: GatesSection = {"verdict": "error", "results": [], "error": str(exc)}
        context.update(GATES, failed)
        context.set_outcome("gated")
        raise
    if moved:
        outcome.registry["experiment_note"] = moved
        outcome.registry["decision"] = f"{moved}; {outcome.registry['decision']}"
    context.update(GATES, outcome.gates)
    context.update(REGISTRY, outcome.registry)
    error = outcome.error()
    if error is not None:
        if not outcome.passed:  # a passing model the remote did not take is not gated
            context.set_outcome("gated")
        raise error
