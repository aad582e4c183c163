"""Compile rfc3987_syntax's IRI grammar when an IRI is validated, not at import.

``jsonschema`` imports ``rfc3987_syntax`` to offer the ``iri`` formats, and
that import compiles a Lark grammar: 1.2–1.5 s on every ``ploomber build``,
``nbops`` command and notebook conversion (nbformat validates through
jsonschema), although neither nbformat's nor nbops' schemas use those formats
(jsonschema#1428).

:func:`install` adds an import hook for that one module: importing it yields a
small stand-in whose ``is_valid_syntax``/``parse`` (and any other name the
real package defines) load the real module on first use. Behaviour is
unchanged, only deferred. A name the real package never defines is answered
with ``AttributeError`` without loading it: code that scans every module in
``sys.modules`` with ``getattr(module, name, None)`` (pickle's and skops'
``whichmodule``, run when skops is imported) would otherwise compile the
grammar for nothing. The package's names are read from its source with
:mod:`ast` (about a millisecond), never by running it.
``nbops init --speedups`` (and ``make install`` in the nbops repository) writes a ``.pth``
file (:mod:`nbops.runtime.startup_hooks`) so that every interpreter of the project's
environment installs the hook at start-up; the wheel ships none.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

MODULE = "rfc3987_syntax"


def defined_names(init_file: Path) -> frozenset[str] | None:
    """Top-level names a package's ``__init__.py`` binds, following ``from .x import *``.

    None when the source cannot be read or parsed: the caller then treats
    every name as possibly defined (the real module loads, as without the hook).
    """
    names: set[str] = set()

    def collect(path: Path, public_only: bool) -> bool:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return False
        for node in tree.body:
            found: list[str] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found = [node.name]
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                if isinstance(node, ast.ImportFrom) and node.names[0].name == "*":
                    if node.level != 1 or not node.module:
                        return False  # a star import from elsewhere: names unknowable
                    if not collect(init_file.parent / f"{node.module}.py", True):
                        return False
                    continue
                found = [(a.asname or a.name).split(".")[0] for a in node.names]
            elif not isinstance(node, ast.Expr):
                return False  # if/try/for at top level: names unknowable without running
            names.update(n for n in found if not (public_only and n.startswith("_")))
        return True

    if not collect(init_file, False):
        return None
    # importing a submodule binds it on the package too
    submodules = {p.stem for p in init_file.parent.glob("*.py") if p.stem != "__init__"}
    return frozenset(names | submodules)


class _LazyGrammarLoader(importlib.abc.Loader):
    """Creates the stand-in module; the real one loads on first attribute use."""

    def __init__(self, real_spec: importlib.machinery.ModuleSpec) -> None:
        self.real_spec = real_spec
        self._real: ModuleType | None = None
        self._lock = threading.Lock()
        origin = real_spec.origin
        self.names = defined_names(Path(origin)) if origin else None

    def real(self) -> ModuleType:
        with self._lock:
            if self._real is None:
                module = importlib.util.module_from_spec(self.real_spec)
                sys.modules[MODULE] = module  # relative imports inside need the real package
                assert self.real_spec.loader is not None
                self.real_spec.loader.exec_module(module)
                self._real = module
            return self._real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        loader = self

        def is_valid_syntax(term: str, value: str) -> Any:
            return loader.real().is_valid_syntax(term, value)

        def parse(term: str, value: str) -> Any:
            return loader.real().parse(term, value)

        def __getattr__(name: str) -> Any:
            if name.startswith("__"):  # import machinery probing (__path__ …): not the API
                raise AttributeError(name)
            if loader.names is not None and name not in loader.names:
                raise AttributeError(f"module {MODULE!r} has no attribute {name!r}")
            return getattr(loader.real(), name)

        module.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
        module.parse = parse  # type: ignore[attr-defined]
        module.__getattr__ = __getattr__  # type: ignore[method-assign]


class LazyGrammarFinder(importlib.abc.MetaPathFinder):
    """Serves :data:`MODULE` through :class:`_LazyGrammarLoader`."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODULE:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, _LazyGrammarLoader(real), origin=real.origin
        )


def install() -> None:
    """Install the import hook in this interpreter (idempotent; no-op if too late)."""
    if MODULE in sys.modules or _speedups_off():
        return
    if not any(isinstance(f, LazyGrammarFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, LazyGrammarFinder())


def _speedups_off() -> bool:
    """``NBOPS_RUNTIME=plain`` (:mod:`nbops.runtime._switch`), read without importing nbops.core:
    this runs in every interpreter of the environment, where a bad value must not raise."""
    import os

    return os.environ.get("NBOPS_RUNTIME", "").strip().lower() == "plain"

