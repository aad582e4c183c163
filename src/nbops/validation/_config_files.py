"""Check ``pipeline.yaml`` and ``env.yaml`` before Ploomber reads them.

Ploomber reports a YAML syntax error in ``env.yaml`` as a crash inside its own
loader, and one in ``pipeline.yaml`` without naming the file.  These checks
say, in one sentence, which file, which line and what to do; they also catch
a task whose notebook is missing and a ``{{placeholder}}`` that ``env.yaml``
does not define.  ``nbops check`` runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbops.contracts import JSONObject
from nbops.core import ConfigError, ProjectSettings, all_keys, check_parameters, load_yaml
from nbops.validation._dotted_sources import dotted_problem, is_dotted

# Placeholders Ploomber fills in itself.
BUILTIN_PLACEHOLDERS = frozenset(
    {"here", "cwd", "root", "user", "now", "git", "git_hash", "version"}
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


@dataclass
class ProjectCheck:
    """What :func:`check_project` found: task names, non-fatal notes, the env values."""

    pipeline: Path
    env: Path | None
    tasks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: env.yaml's values, as read for the check (``{}`` without one), for later checks
    values: JSONObject = field(default_factory=dict)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def check_env(path: Path) -> JSONObject:
    """Parse and check ``env.yaml``: a mapping whose keys hold no double ``_``/``-``."""
    env = ProjectSettings.read(path).values
    for key in sorted(all_keys(env)):
        leaf = key.parts[-1]
        if "__" in leaf or "--" in leaf:
            raise ConfigError(
                f"{path} key {key.dotted!r} contains '__' or '--', which Ploomber reserves",
                "rename the key with single underscores",
            )
    return env


def _check_factory(root: Path, pipeline: Path, env_path: Path, env: Any,
                   location: str) -> ProjectCheck:
    """A pipeline.yaml whose ``location:`` names a factory function building the DAG."""
    problem = dotted_problem(root, location) if is_dotted(location) else (
        f"{location!r} is not a dotted path")
    if problem is not None:
        raise ConfigError(f"{pipeline}: location {location}: {problem}",
                          "point 'location:' at the function that returns the DAG")
    result = ProjectCheck(pipeline=pipeline, env=env_path if env_path.exists() else None,
                          values=env)
    result.notes.append(f"the tasks are made by {location} (not checked before a build)")
    return result


def check_project(root: Path | str = ".") -> ProjectCheck:
    """Check the ``pipeline.yaml`` (and ``env.yaml`` beside it) of the project at ``root``.

    Raises:
        ConfigError: one sentence naming the file, the problem and the fix.
    """
    from nbops.core import locate_pipeline

    root = Path(root)
    located = locate_pipeline(root)  # as Ploomber finds it: src/<package>/pipeline.yaml too
    pipeline = root / "pipeline.yaml" if located is None or located.pipeline is None \
        else located.pipeline
    if not pipeline.exists():
        raise ConfigError(
            f"no pipeline.yaml in {root.resolve()}",
            "run this from the project folder, or pass --project DIR",
        )
    # Ploomber reads env.yaml from the folder it runs in first, then beside the pipeline
    env_path = next((p for p in (root / "env.yaml", pipeline.parent / "env.yaml")
                     if p.exists()), root / "env.yaml")
    env = check_env(env_path) if env_path.exists() else {}
    check_parameters(env)  # declared types and ranges (docs/ledger.md), as the build will
    spec = load_yaml(pipeline, "pipeline.yaml")
    tasks = spec.get("tasks") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and isinstance(spec.get("location"), str):
        return _check_factory(root, pipeline, env_path, env, str(spec["location"]))
    if not isinstance(tasks, list) or not tasks:
        raise ConfigError(
            f"{pipeline} has no 'tasks:' list",
            "declare the steps under 'tasks:', each with 'source:' and 'product:'",
        )
    result = ProjectCheck(pipeline=pipeline, env=env_path if env_path.exists() else None,
                          values=env)
    text = pipeline.read_text(encoding="utf-8")
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or "source" not in task or "product" not in task:
            raise ConfigError(
                f"{pipeline} task #{number} lacks 'source:' or 'product:'",
                "give every task a 'source:' (the notebook) and a 'product:'",
            )
        written = str(task["source"])
        where = f"{pipeline} line {_line_of(text, written)}"
        if (root / written).exists() or "{{" in written:  # a placeholder: Ploomber expands it
            result.tasks.append(str(task.get("name", Path(written).stem)))
        elif is_dotted(written):  # a Python function (PythonCallable)
            problem = dotted_problem(root, written)
            if problem is not None:
                raise ConfigError(f"{where}: task source {written}: {problem}",
                                  "correct the dotted path in pipeline.yaml, or define the "
                                  "function")
            result.tasks.append(str(task.get("name", written.rpartition(".")[2])))
        else:
            raise ConfigError(
                f"{where}: task source {written} does not exist",
                "create the notebook or correct the path in pipeline.yaml",
            )
    defined = {key.dotted for key in all_keys(env)}
    used: set[str] = set()
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        used.add(name.split(".", 1)[0])
        if name.split(".", 1)[0] in BUILTIN_PLACEHOLDERS:
            continue
        if name not in defined:
            raise ConfigError(
                f"{pipeline} line {_line_of(text, match.group(0))} uses {{{{{name}}}}} "
                f"but env.yaml defines no {name!r}",
                f"add {name!r} to env.yaml or correct the placeholder",
            )
    unused = sorted(set(env) - used)
    if unused:
        result.notes.append(
            f"env.yaml top-level key(s) not used in pipeline.yaml: {', '.join(unused)} "
            "(Ploomber warns about these)"
        )
    return result
