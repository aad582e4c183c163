"""`make mutate` is configured with modules and tests that exist (it is too slow for
`make test`, so a renamed module or test file would otherwise go unnoticed)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]


def test_every_mutated_module_exists_and_is_importable() -> None:
    modules = _config()["only_mutate"]
    assert modules, "make mutate names no module"
    for path in modules:
        assert path.startswith("src/nbops/") and path.endswith(".py"), path
        assert (ROOT / path).is_file(), f"{path} in [tool.mutmut] only_mutate does not exist"
        name = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        assert importlib.util.find_spec(name) is not None, name


def test_every_selected_test_file_exists_and_each_module_has_tests() -> None:
    config = _config()
    tests = config["pytest_add_cli_args_test_selection"]
    for path in tests:
        assert (ROOT / path.split("::")[0]).is_file(), f"{path} in [tool.mutmut] does not exist"
    # a module is covered when a selected test file names it (import path or class name)
    sources = "\n".join((ROOT / p.split("::")[0]).read_text("utf-8") for p in tests)
    flat = sources.lower().replace("_", "")
    for path in config["only_mutate"]:
        name = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        module = name.rpartition(".")[2]
        assert name in sources or f"{module.replace('_', '')}" in flat, (
            f"no test selected for mutation names {name}")


def test_the_make_target_runs_the_configured_tool() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "\nmutate:" in makefile and "benchmarks.mutation" in makefile
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"mutmut==' in pyproject  # pinned in the dev extra


def test_every_child_process_test_is_a_selected_test_of_a_mutated_module() -> None:
    """A child process's mutants run only the tests named in CHILD_PROCESS_TESTS (mutmut
    cannot see what reaches that process); a renamed test would leave them untested."""
    spec = importlib.util.spec_from_file_location("mutation_config",
                                                  ROOT / "benchmarks" / "mutation.py")
    assert spec is not None and spec.loader is not None
    mutation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutation)
    config = _config()
    selected = "\n".join((ROOT / p.split("::")[0]).read_text("utf-8")
                         for p in config["pytest_add_cli_args_test_selection"])
    for module, names in mutation.CHILD_PROCESS_TESTS.items():
        assert module in config["only_mutate"], f"{module} is not mutated"
        assert names, module
        for name in names:
            assert f"def {name}(" in selected, (
                f"{name} (child-process test of {module}) is in no selected test file")
