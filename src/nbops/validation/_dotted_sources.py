"""Task sources written as dotted paths (``tasks.data.clean``): find them as Ploomber will.

Ploomber turns a ``source:`` that is not a file into a Python function
(``PythonCallable``) by importing its module, with the pipeline's folder first
on ``sys.path``; ``location:`` names a factory the same way. This finds the
module file without running it (a module may train a model at import) and
reads it with :mod:`ast` for the name.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def is_dotted(source: str) -> bool:
    """Whether ``source`` has the shape of ``module.function`` (and is not a file)."""
    return bool(_DOTTED.match(source))


def _module_file(root: Path, module: str) -> Path | None:
    base = Path(root, *module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    try:  # an installed package (the project's own, installed editable, included)
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    origin = None if spec is None else spec.origin
    return Path(origin) if origin and origin.endswith(".py") else None


def _defines(path: Path, name: str) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return True  # Ploomber will say what is wrong with the module itself
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


def dotted_problem(root: Path, dotted: str) -> str | None:
    """What is wrong with the dotted path ``dotted``, in a few words, or None when it is found."""
    module, _, name = dotted.rpartition(".")
    path = _module_file(root, module)
    if path is None:
        return f"module {module} (of {dotted}) is not found in {root} nor installed"
    if not _defines(path, name):
        return f"{path.name} (module {module}) defines no {name!r}"
    return None
