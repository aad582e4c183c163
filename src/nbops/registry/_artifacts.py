"""Model artifacts: skops files, kept in the content store, loaded only when trusted.

A registered version records the blake3 hash of its model file and the exact
non-default types skops reported in it at registration. Loading a version
re-hashes the stored file and refuses it unless the hash matches the registry
(a tampered or swapped file never reaches the deserialiser); only then is the
file loaded with skops, which builds objects from a declared list of types.

Which types may be trusted is never the registry's to say: the policy is an
exact list of names (never prefixes) made of :data:`DEFAULT_TRUSTED_TYPES`
plus ``registry.trusted_types`` in the project's env.yaml, and both the types
recorded for the version and the types found in the file must be on it, at
registration and at every load. A skops file can reduce to a call of any
function it names (``numpy.testing.measure`` runs Python source), so a name
is trusted only when someone who reads the code put it on that list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from nbops.core import (
    ConfigError,
    ContentStore,
    Project,
    ProjectSettings,
    RegistryError,
    hash_file,
)

if TYPE_CHECKING:
    from nbops.contracts import ModelArtifact, ModelVersion

logger = logging.getLogger("nbops")


class LoadableVersion(TypedDict):
    """What loading a model reads of its version record (a :class:`ModelVersion` is one);
    gating builds one for a candidate not yet registered."""

    run_id: str | None
    artifact: ModelArtifact

#: Types nbops trusts in a model file besides those skops trusts itself (scikit-learn
#: estimators, numpy arrays and ufuncs, plain containers): exact names, each a class that
#: only holds data. None is a function: a file that reduces to a call of a function runs
#: it while loading. A project adds its own under ``registry.trusted_types`` in env.yaml.
DEFAULT_TRUSTED_TYPES: tuple[str, ...] = (
    "collections.OrderedDict",
    "numpy.dtype",
    "numpy.random._generator.Generator",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pcg64.PCG64",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.mtrand.RandomState",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
MODULES_DROPPED = ("registry.trusted_modules in env.yaml lists module prefixes, which nbops "
                    "no longer reads: a prefix trusts every function under it, and some of "
                    "them run code")
MODULES_FIX = ("replace it with registry.trusted_types, the exact names of the types your "
                "model uses (a registration names each one it refuses)")


def trusted_types_problem(entries: object) -> str | None:
    """Why ``entries`` (``registry.trusted_types``) is not a list of exact type names."""
    if not isinstance(entries, (list, tuple)) or not all(isinstance(e, str) for e in entries):
        return f"registry.trusted_types in env.yaml is {entries!r}, not a list of type names"
    bad = [e for e in entries if not _TYPE_NAME.match(e)]
    if bad:
        return (f"registry.trusted_types in env.yaml has {bad[0]!r}, which is not an exact "
                "type name like 'mypackage.features.to_float' (prefixes and wildcards are "
                "not accepted)")
    return None


def trusted_types_of(root: Path, settings: ProjectSettings | None = None) -> frozenset[str]:
    """The exact types a model of the project at ``root`` may use: the defaults plus
    ``registry.trusted_types`` of its env.yaml.

    ``settings``: the project's env.yaml as the command read it; read here when None.

    Raises:
        RegistryError: env.yaml cannot be read, the setting is not a list of exact
            names, or it still uses the prefix list ``trusted_modules``.
    """
    if settings is None:
        try:
            settings = ProjectSettings.read(Path(root) / "env.yaml", mapping_required=False)
        except ConfigError as exc:
            raise RegistryError(f"cannot read the trusted types: {exc.problem}",
                                exc.fix or "fix env.yaml") from None
    section = settings.section("registry")
    if not section:
        return frozenset(DEFAULT_TRUSTED_TYPES)
    if "trusted_modules" in section:
        raise RegistryError(MODULES_DROPPED, MODULES_FIX)
    extra = section.get("trusted_types") or []
    problem = trusted_types_problem(extra)
    if problem:
        raise RegistryError(problem, "list exact type names, e.g. [mypackage.features.to_float]")
    return frozenset(DEFAULT_TRUSTED_TYPES) | frozenset(extra)


def store_of(root: Path) -> ContentStore:
    """The content store of the project rooted at ``root``."""
    return ContentStore(Project(Path(root)).store_dir)


def inspect_types(
    path: Path, trusted_types: Iterable[str] = DEFAULT_TRUSTED_TYPES
) -> list[str]:
    """Return the non-default types in the skops file ``path``, checked against a policy.

    Raises:
        RegistryError: the file is not a skops archive, or uses a type not in
            ``trusted_types`` (exact names).
    """
    import skops.io as sio

    try:
        types = sorted(sio.get_untrusted_types(file=path))
    except Exception as exc:  # skops raises zipfile/JSON errors for a non-skops file
        raise RegistryError(
            f"{path} is not a readable skops model file ({type(exc).__name__}: {exc})",
            "save the model with skops.io.dump(model, path) in the train step",
        ) from exc
    return check_types(path, types, trusted_types)


def check_types(path: Path, types: list[str], trusted_types: Iterable[str]) -> list[str]:
    """Return ``types`` (found in the model file ``path``) if each is in ``trusted_types``.

    Raises:
        RegistryError: a type is not one of the exact trusted names.
    """
    policy = frozenset(trusted_types)
    refused = sorted(t for t in types if t not in policy)
    if refused:
        raise RegistryError(
            f"{path} uses types this project does not trust: {', '.join(refused)}",
            "build the model from scikit-learn/numpy/scipy objects, or add the exact name to "
            "registry.trusted_types in env.yaml if you wrote it and it runs no code you "
            "would not run",
        )
    return types


def verified_path(root: Path, record: LoadableVersion, label: str) -> Path:
    """Return the stored model file of ``record`` after checking its hash.

    Raises:
        RegistryError: the file is missing, or its content differs from the
            hash the registry recorded (tampered or swapped).
    """
    expected = record["artifact"]["hash"]
    path = store_of(root).path_for(expected)
    if not path.is_file():
        from nbops.core import RemoteError
        from nbops.remote import fetch_for

        try:
            fetch_for(root, expected, label)
        except RemoteError as exc:  # a model the registry names: a registry error
            raise RegistryError(exc.problem, exc.fix) from None
    if not path.is_file():
        raise RegistryError(
            f"the model file of {label} ({expected}) is missing from the content store "
            f"({path})",
            "restore .nbops/store from a backup, or re-run the run that produced it "
            f"({record.get('run_id')}) and register it again",
        )
    actual = hash_file(path)
    if actual != expected:
        raise RegistryError(
            f"refusing to load {label}: its model file {path} has hash {actual} but the "
            f"registry recorded {expected} (the file was modified or swapped)",
            "do not use this file; restore the original from a backup or re-run "
            f"run {record.get('run_id')} and register the new model",
        )
    return path


def load_verified(root: Path, record: LoadableVersion, label: str, *,
                  keep: bool = False, policy: frozenset[str] | None = None) -> Any:
    """Load the model of a registered version, after :func:`verified_path`.

    ``policy``: the exact types the project trusts, when the caller holds its settings
    already (a build gates with ``RegistryConfig.trusted_policy``, overrides included);
    else :func:`trusted_types_of` reads them from env.yaml.

    ``keep``: take the model from this machine's cache of verified models when it
    holds this file for this environment (no skops import), and keep it there after
    a full load (:mod:`nbops.registry._model_cache`). The file's hash and its types
    are checked against the registry and the policy either way.

    Raises:
        RegistryError: the file fails :func:`verified_path`, or the types recorded for
            the version or found in its file are not all on the project's exact list.
    """
    from nbops.registry._model_cache import keep as keep_model
    from nbops.registry._model_cache import kept

    path = verified_path(root, record, label)
    recorded = set(record["artifact"]["trusted_types"])
    cached = kept(record["artifact"]["hash"]) if keep else None
    if cached is None:
        import skops.io as sio

        found = set(sio.get_untrusted_types(file=path))
    else:  # what skops found when this machine last loaded the same file the full way
        found = set(cached.found)
    _check_types(root, label, recorded, found, policy)
    if cached is not None:
        logger.debug("loading %s from this machine's verified copy of %s", label, path)
        try:
            return cached.model()
        except Exception as exc:  # a copy this environment cannot rebuild: load the file
            logger.debug("the verified copy of %s did not load (%s)", label, exc)
    import skops.io as sio

    logger.debug("loading %s from %s", label, path)
    model = sio.load(path, trusted=sorted(found))
    if keep:
        keep_model(record["artifact"]["hash"], frozenset(found), model)
    return model


def _check_types(root: Path, label: str, recorded: set[str], found: set[str],
                 policy: frozenset[str] | None = None) -> None:
    """Refuse types outside the project's policy, and found types not recorded."""
    # the registry is a file a bucket writer or a teammate can edit: it records which
    # types the build found, never which may be trusted (env.yaml and the defaults say)
    if policy is None:
        policy = trusted_types_of(root)
    refused = sorted((recorded | found) - policy)
    if refused:
        raise RegistryError(
            f"refusing to load {label}: its model file or registry record uses types this "
            f"project does not trust ({', '.join(refused)}), so it could run code",
            "restore the registry from a teammate or git and run `nbops verify`; if you "
            "wrote such a type and trust it, add its exact name to registry.trusted_types "
            "in env.yaml",
        )
    unexpected = sorted(found - recorded)
    if unexpected:
        raise RegistryError(
            f"refusing to load {label}: it uses types not recorded at registration: "
            f"{', '.join(unexpected)}",
            "re-register the model from its run",
        )


def load_verified_onnx(root: Path, record: ModelVersion, label: str) -> bytes | None:
    """The ONNX form of a registered version kept on this machine, after the checks of
    :func:`load_verified` (file hash, recorded and found types against the policy);
    None when none is kept (:mod:`nbops.registry._onnx_form`). No scikit-learn is imported.

    Raises:
        RegistryError: as :func:`load_verified`.
    """
    from nbops.registry._model_cache import kept_onnx

    verified_path(root, record, label)
    entry = kept_onnx(record["artifact"]["hash"])
    if entry is None:
        return None
    found, data = entry
    _check_types(root, label, set(record["artifact"]["trusted_types"]), set(found))
    return data


def keep_onnx_form(record: ModelVersion, data: bytes | None, reason: str = "") -> None:
    """Keep ``data``, the ONNX form of ``record``'s model that passed its parity check,
    beside the verified model kept by :func:`load_verified` (with the types found in its
    file); or, with ``data`` None, ``reason``: why it has none. Nothing is kept when
    that model is not (no cache, or it could not be written)."""
    from nbops.registry._model_cache import keep_no_onnx, keep_onnx, kept

    digest = record["artifact"]["hash"]
    if data is None:
        keep_no_onnx(digest, reason)
        return
    model = kept(digest)
    if model is not None:
        keep_onnx(digest, model.found, data)


def no_onnx_form(record: ModelVersion) -> str | None:
    """Why ``record``'s model has no usable ONNX form, as an earlier start found, or None."""
    from nbops.registry._model_cache import kept_no_onnx

    return kept_no_onnx(record["artifact"]["hash"])
