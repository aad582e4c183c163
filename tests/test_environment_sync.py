"""environment.yml must list exactly the packages and pins of pyproject.toml.

Conda cannot solve environments offline here, so this comparison is what keeps
the conda route honest.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        req = Requirement(line)
        pins[req.name.lower().replace("_", "-")] = str(req.specifier)
    return pins


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [req for group in project["optional-dependencies"].values() for req in group]
    return _pins(project["dependencies"] + extras)


def _environment_yml() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _environment_pins() -> dict[str, str]:
    deps = _environment_yml()["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    return _pins([line for line in pip_section if not line.startswith("-e")])


def test_environment_yml_matches_pyproject() -> None:
    expected, actual = _pyproject_pins(), _environment_pins()
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    different = sorted(n for n in set(expected) & set(actual) if expected[n] != actual[n])
    assert not (missing or extra or different), (
        f"environment.yml disagrees with pyproject.toml: missing {missing}, extra {extra}, "
        f"different pins {[(n, expected[n], actual[n]) for n in different]}"
    )


def test_environment_yml_python_matches_requires_python() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = _environment_yml()["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    assert project["requires-python"] == ">=3.11,<3.12"
    assert python == "python=3.11"


def test_every_pin_is_exact() -> None:
    loose = [n for n, spec in _pyproject_pins().items() if not spec.startswith("==")]
    assert not loose, f"unpinned dependencies in pyproject.toml: {loose}"


def test_lock_contains_every_direct_dependency_at_its_pin() -> None:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            lock[name.strip().lower().replace("_", "-")] = "==" + version.split()[0]
    for name, spec in _pyproject_pins().items():
        assert lock.get(name) == spec, (
            f"requirements.lock has {name}{lock.get(name)}, pyproject {spec}"
        )
