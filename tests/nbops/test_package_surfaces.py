"""Every nbops package keeps its modules private and exports one public surface.

Code lives in private modules (``nbops/registry/_operations.py``); what other
packages, notebooks, benchmarks and users may import is re-exported by the
package (``from nbops.registry import promote``), lazily, as listed in its
``__all__`` (see ARCHITECTURE.md, "Public surfaces"). Tests may import private
modules: they test them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "nbops"
PACKAGES = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())

#: Modules whose dotted path is named outside Python imports, so it cannot change:
#: in users' pipeline.yaml (executors), in entry points (console script, Papermill
#: engine) and in the start-up lines that `make install` and the wheel install.
NAMED_FROM_OUTSIDE = {
    "cli.main",  # [project.scripts] nbops
    "engine.executor",  # executor: dotted_path in pipeline.yaml (nbops init writes it)
    "engine.dask_executor",  # the same, for a Dask cluster
    "engine.papermill_engine",  # [project.entry-points."papermill.engine"]
    "runtime.lazy_grammar",  # nbops_lazy_grammar.pth
    "engine.lazy_grammar",  # the same line as written by nbops before nbops.runtime
    "adapters.ploomber_config_errors",  # nbops_ploomber_config_errors.pth
    "runtime.startup_hooks",  # python -m nbops.runtime.startup_hooks --install
    "runtime.trial_server",  # python -m nbops.runtime.trial_server (a sweep starts it)
}
PRIVATE = re.compile(r"^nbops\.([a-z]+)\.(_[a-z]\w*)")


def _package_of(path: Path) -> str | None:
    """The nbops package a file belongs to (the project template belongs to none)."""
    relative = path.relative_to(REPO).as_posix()
    match = re.match(r"src/nbops/([a-z]+)/", relative)
    if match is None or relative.startswith("src/nbops/scaffold/new/"):
        return None
    return match.group(1)


def _code_outside_tests() -> list[Path]:
    roots = [REPO / "src", REPO / "notebooks", REPO / "benchmarks"]
    return sorted(p for root in roots for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _reaches(path: Path) -> list[str]:
    """Each place in ``path`` that imports another package's private module."""
    own = _package_of(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            dotted = re.fullmatch(r"nbops\.[a-z]+\._\w+(:\w+)?", node.value)
            targets = [node.value] if dotted else []
        for target in targets:
            match = PRIVATE.match(target)
            if match and match.group(1) != own:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {target}")
    return found


def test_no_code_reaches_into_another_packages_private_modules() -> None:
    found = [hit for path in _code_outside_tests() for hit in _reaches(path)]
    assert found == []


def test_the_privacy_check_sees_a_reach(tmp_path: Path) -> None:
    # a file of the monitoring package importing a registry module directly
    planted = SRC / "monitoring" / "_planted_for_test.py"
    try:
        planted.write_text("from nbops.registry._operations import promote\n"
                           "from nbops.registry import _artifacts\n"
                           "HELPER = 'nbops.runtime._forkserver'\n"
                           "from nbops.monitoring._batch_check import check_batch\n")
        assert [hit.split(": ")[1] for hit in _reaches(planted)] == [
            "nbops.registry._operations", "nbops.registry._operations.promote",
            "nbops.registry._artifacts", "nbops.runtime._forkserver"]
    finally:
        planted.unlink()


def test_every_module_of_a_package_is_private_unless_named_from_outside() -> None:
    public = {f"{p.parent.name}.{p.stem}" for package in PACKAGES
              for p in (SRC / package).glob("*.py") if not p.stem.startswith("_")}
    assert public == NAMED_FROM_OUTSIDE


def _surface(package: str) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """(the lazy mapping, the TYPE_CHECKING imports) of a package's ``__init__``.

    Both as ``{public name: (module, attribute)}``.
    """
    tree = ast.parse((SRC / package / "__init__.py").read_text())
    lazy: dict[str, tuple[str, str]] = {}
    typed: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_exports":
            for module, names in ast.literal_eval(node.args[1]).items():
                absolute = module if module.startswith("nbops.") else f"nbops.{package}.{module}"
                for entry in names:
                    public, _, name = entry.partition("=")
                    lazy[public] = (absolute, name or public)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
                for alias in statement.names:
                    typed[alias.asname or alias.name] = (str(statement.module), alias.name)
    return lazy, typed


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_exports_exactly_its_surface(package: str) -> None:
    module = importlib.import_module(f"nbops.{package}")
    exported = list(getattr(module, "__all__", []))
    lazy, typed = _surface(package)
    assert exported == sorted(set(exported)), "__all__ is sorted, without repeats"
    assert set(exported) == set(lazy) == set(typed)
    assert lazy == typed, "the TYPE_CHECKING imports name the same homes as the lazy mapping"
    assert set(exported) <= set(dir(module))
    for name in exported:
        home, attribute = lazy[name]
        value = getattr(module, name)
        assert value is getattr(importlib.import_module(home), attribute)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__module__ in (home, f"{home}.__init__") or home == "nbops.core", \
                f"{package}.{name} should name the module that defines it, {value.__module__}"
    with pytest.raises(AttributeError, match="has no attribute"):
        module.no_such_name  # noqa: B018


def test_every_package_imports_without_its_libraries() -> None:
    heavy = ("numpy", "pandas", "scipy", "sklearn", "pyarrow", "nbconvert", "ploomber",
             "papermill", "jsonschema", "IPython", "click", "jupyter_client")
    code = ("import json, sys\n"
            f"for p in {PACKAGES!r}: __import__('nbops.' + p)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                           text=True, check=True).stdout))
    assert not loaded & set(heavy)


def _scratch_package(root: Path, name: str, exported: list[str], mapping: str) -> None:
    (root / name).mkdir()
    (root / name / "_home.py").write_text("def a():\n    return 'a'\n\ndef b():\n    return 'b'\n")
    (root / name / "__init__.py").write_text(
        "from nbops.core import lazy_exports\n"
        f"__all__ = {exported!r}\n"
        f"__getattr__, __dir__ = lazy_exports(__name__, {mapping})\n")


def test_a_surface_whose_all_and_mapping_disagree_fails_at_import(tmp_path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _scratch_package(tmp_path, "scratch_disagree", ["a"], '{"_home": ("a", "b")}')
    with pytest.raises(ImportError, match=r"__all__ and its lazy exports disagree: \['b'\]"):
        importlib.import_module("scratch_disagree")


def test_a_lazy_name_loads_its_module_on_first_use_only(tmp_path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    _scratch_package(tmp_path, "scratch_lazy", ["a", "renamed"], '{"_home": ("a", "renamed=b")}')
    package = importlib.import_module("scratch_lazy")
    assert "scratch_lazy._home" not in sys.modules
    assert {"a", "renamed"} <= set(dir(package))
    assert package.renamed() == "b" and "scratch_lazy._home" in sys.modules
    assert "renamed" in vars(package)  # kept: the next lookup is a plain attribute
    with pytest.raises(AttributeError, match="has no attribute 'b'"):
        package.b  # noqa: B018
