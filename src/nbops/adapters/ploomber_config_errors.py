"""Clear one-sentence errors for a malformed ``env.yaml`` or ``pipeline.yaml``.

Ploomber 0.23.3 (its last release; the project is archived) crashes with an
``UnboundLocalError`` from inside its env loader when ``env.yaml`` is not
valid YAML (the ``finally`` clause of ``ploomber.env.envdict.load_from_source``
reads a variable the failed parse never set), and reports a broken
``pipeline.yaml`` without naming the file or the fix. Neither can be fixed
upstream, and a plain ``ploomber build`` runs before any nbops hook, so
:func:`install` adds an import hook: when Ploomber's env and spec modules are
imported, their YAML loading is preceded by nbops' own parse, which raises a
Ploomber ``BaseException`` (printed by Ploomber's CLI as one red line, without
a traceback) naming the file, the line, the problem and the fix. Valid files
go to Ploomber unchanged. ``nbops init --speedups`` (and ``make install`` in the
nbops repository) writes a ``.pth`` file (:mod:`nbops.runtime.startup_hooks`) so every
interpreter of the project's environment installs the hook at start-up; without it,
``nbops check`` names the same problems.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from types import ModuleType
from typing import Any

from nbops.core import ConfigError, ProjectSettings, load_mapping

ENV_MODULE = "ploomber.env.envdict"
SPEC_MODULE = "ploomber.spec.dagspec"


def _ploomber_error(exc: ConfigError) -> Exception:
    from ploomber.exceptions import DAGSpecInitializationError

    error: Exception = DAGSpecInitializationError(exc.message)  # Ploomber is untyped
    return error


def _is_yaml_path(source: Any) -> bool:
    return isinstance(source, str | Path) and str(source).endswith((".yaml", ".yml"))


def _checked_env_loader(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def load_from_source(source: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_yaml_path(source) and Path(source).is_file():
            try:
                ProjectSettings.read(Path(source), what="env.yaml", empty_ok=False, shared=True)
            except ConfigError as exc:
                raise _ploomber_error(exc) from None
        return original(source, *args, **kwargs)

    return load_from_source


def _checked_spec_init(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def __init__(self: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if _is_yaml_path(data) and Path(data).is_file():
            try:
                load_mapping(Path(data), "pipeline.yaml")
            except ConfigError as exc:
                raise _ploomber_error(exc) from None
        original(self, data, *args, **kwargs)

    return __init__


def patch_env_module(module: ModuleType) -> None:
    """Make ``module.load_from_source`` check the YAML first (idempotent)."""
    namespace = vars(module)
    loader = namespace["load_from_source"]
    if not getattr(loader, "_nbops_checked", False):
        checked = _checked_env_loader(loader)
        checked._nbops_checked = True  # type: ignore[attr-defined]
        namespace["load_from_source"] = checked


def patch_spec_module(module: ModuleType) -> None:
    """Make ``module.DAGSpec`` check its YAML file first (idempotent)."""
    spec = module.DAGSpec
    if not getattr(spec.__init__, "_nbops_checked", False):
        checked = _checked_spec_init(spec.__init__)
        checked._nbops_checked = True  # type: ignore[attr-defined]
        spec.__init__ = checked


PATCHES: dict[str, Callable[[ModuleType], None]] = {
    ENV_MODULE: patch_env_module,
    SPEC_MODULE: patch_spec_module,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader, patch: Callable[[ModuleType], None]) -> None:
        self.real = real
        self.patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.real.exec_module(module)
        self.patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        patch = PATCHES.get(fullname)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader, patch)
        return spec


def install() -> None:
    """Patch Ploomber's YAML loading now if imported, or when it is imported."""
    for name, patch in PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
