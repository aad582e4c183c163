"""environment.yml must pin exactly the locked versions of pyproject.toml's direct dependencies.

pyproject.toml holds compatible ranges (the library's promise to its users);
requirements.lock holds the exact set this repository tests; environment.yml
(the conda route to the same environment) must name every direct dependency at
its locked version. Conda cannot solve environments offline here, so this
comparison is what keeps the conda route honest.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _key(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


#: Extras the repository's environment does not install (see the Makefile's lock target).
NOT_LOCKED = {"gcs", "azure"}


def _direct() -> dict[str, Requirement]:
    lines = PROJECT["dependencies"] + [
        r for name, extra in PROJECT["optional-dependencies"].items() if name not in NOT_LOCKED
        for r in extra]
    return {_key(Requirement(line).name): Requirement(line) for line in lines}


def _lock() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            lock[_key(name.strip())] = version.split()[0]
    return lock


def _environment_yml() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _environment_pins() -> dict[str, str]:
    deps = _environment_yml()["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    return {_key(Requirement(line).name): str(Requirement(line).specifier)
            for line in pip_section if not line.startswith("-e")}


def test_environment_yml_pins_every_direct_dependency_at_its_locked_version() -> None:
    lock, actual = _lock(), _environment_pins()
    expected = {name: f"=={lock[name]}" for name in _direct()}
    assert actual == expected


def test_lock_satisfies_every_range_of_pyproject() -> None:
    lock = _lock()
    for name, requirement in _direct().items():
        assert name in lock, f"{name} is missing from requirements.lock: run make lock"
        assert Version(lock[name]) in requirement.specifier, (
            f"requirements.lock has {name}=={lock[name]}, outside pyproject's {requirement}")


def test_environment_yml_python_is_within_requires_python() -> None:
    deps = _environment_yml()["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    assert Version(python.removeprefix("python=") + ".0") in SpecifierSet(
        PROJECT["requires-python"])


def test_make_lock_resolves_every_extra_but_the_unlocked_ones() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlock:"):].split("\n\n")[0]
    main, azure = recipe.split("-o requirements.lock", 1)  # then requirements-azure.lock
    named = set(re.findall(r"--extra (\w+)", main))
    assert set(re.findall(r"--extra (\w+)", azure)) == {"azure"}
    assert named == set(PROJECT["optional-dependencies"]) - NOT_LOCKED
