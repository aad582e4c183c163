"""Model artifacts: skops files, kept in the content store, loaded only when trusted.

A registered version records the blake3 hash of its model file and the list
of non-default types skops reported in it at registration. Loading a version
re-hashes the stored file and refuses it unless the hash matches the registry
(a tampered or swapped file never reaches the deserialiser); only then is the
file loaded with skops, which builds objects from a declared list of types and
never runs code from the file, trusting exactly the recorded types.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbops.core import ConfigError, ContentStore, Project, RegistryError, hash_file, load_yaml

logger = logging.getLogger("nbops")

# Module prefixes whose types a registered skops file may use. Anything else
# (os, subprocess, builtins.eval, an unknown package — a project's own code
# included, unless its env.yaml lists it in registry.trusted_modules) refuses
# the registration.
DEFAULT_TRUSTED_MODULES: tuple[str, ...] = ("sklearn.", "numpy.", "scipy.")


def trusted_modules_of(root: Path) -> tuple[str, ...]:
    """``registry.trusted_modules`` from the project's env.yaml, else the defaults.

    Raises:
        RegistryError: env.yaml cannot be read or the setting is not a list of strings.
    """
    path = Path(root) / "env.yaml"
    if not path.is_file():
        return DEFAULT_TRUSTED_MODULES
    try:
        env = load_yaml(path, "env.yaml")
    except ConfigError as exc:
        raise RegistryError(f"cannot read the trusted modules: {exc.problem}",
                            exc.fix or "fix env.yaml") from None
    section = env.get("registry") if isinstance(env, dict) else None
    modules = section.get("trusted_modules") if isinstance(section, dict) else None
    if modules is None:
        return DEFAULT_TRUSTED_MODULES
    if not isinstance(modules, list) or not all(isinstance(m, str) and m for m in modules):
        raise RegistryError(f"registry.trusted_modules in {path} is {modules!r}",
                            "give a list of module prefixes like 'sklearn.'")
    return tuple(m if m.endswith(".") else m + "." for m in modules)


def store_of(root: Path) -> ContentStore:
    """The content store of the project rooted at ``root``."""
    return ContentStore(Project(Path(root)).store_dir)


def inspect_types(
    path: Path, trusted_modules: Iterable[str] = DEFAULT_TRUSTED_MODULES
) -> list[str]:
    """Return the non-default types in the skops file ``path``, checked against a policy.

    Raises:
        RegistryError: the file is not a skops archive, or uses a type from a
            module outside ``trusted_modules``.
    """
    import skops.io as sio

    try:
        types = sorted(sio.get_untrusted_types(file=path))
    except Exception as exc:  # skops raises zipfile/JSON errors for a non-skops file
        raise RegistryError(
            f"{path} is not a readable skops model file ({type(exc).__name__}: {exc})",
            "save the model with skops.io.dump(model, path) in the train step",
        ) from exc
    return check_types(path, types, trusted_modules)


def check_types(path: Path, types: list[str], trusted_modules: Iterable[str]) -> list[str]:
    """Return ``types`` (found in the model file ``path``) if all are trusted.

    Raises:
        RegistryError: a type comes from a module outside ``trusted_modules``.
    """
    prefixes = tuple(trusted_modules)
    refused = [t for t in types if not t.startswith(prefixes)]
    if refused:
        raise RegistryError(
            f"{path} uses types outside the trusted modules ({', '.join(prefixes)}): "
            f"{', '.join(refused)}",
            "build the model from scikit-learn/numpy/scipy objects, or add the module to "
            "registry.trusted_modules in env.yaml if you wrote and trust it",
        )
    return types


def verified_path(root: Path, record: dict[str, Any], label: str) -> Path:
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


def load_verified(root: Path, record: dict[str, Any], label: str) -> Any:
    """Load the model of a registered version, after :func:`verified_path`."""
    import skops.io as sio

    path = verified_path(root, record, label)
    recorded = record["artifact"]["trusted_types"]
    found = sio.get_untrusted_types(file=path)
    # the registry is a file people can edit: the types it trusts are re-checked
    # against the project's policy at every load, not only at registration
    policy = trusted_modules_of(root)
    outside = sorted(t for t in set(recorded) | set(found) if not t.startswith(policy))
    if outside:
        raise RegistryError(
            f"refusing to load {label}: the registry trusts types outside the trusted modules "
            f"({', '.join(policy)}): {', '.join(outside)}",
            "restore .nbops/registry/models.json from git, or add the module to "
            "registry.trusted_modules in env.yaml if you wrote and trust it",
        )
    unexpected = sorted(set(found) - set(recorded))
    if unexpected:  # unreachable unless blake3 collides; kept as a second lock
        raise RegistryError(
            f"refusing to load {label}: it uses types not recorded at registration: "
            f"{', '.join(unexpected)}",
            "re-register the model from its run",
        )
    logger.debug("loading %s from %s", label, path)
    return sio.load(path, trusted=recorded)
