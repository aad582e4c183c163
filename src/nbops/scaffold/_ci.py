"""``nbops init ci --github|--gitlab``: a CI workflow that builds the pipeline as a run.

The workflow installs the project (its requirements file or pyproject, plus
nbops), runs ``ploomber build``, keeps ``reports/`` as a build artifact even
when a gate fails the build, and writes ``nbops summary --markdown`` (the
latest run: status, gates, metrics, registry decision) to the job's summary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nbops.core import ConfigError, atomic_write_text, crash_point

if TYPE_CHECKING:
    from nbops.scaffold._init import PlannedWrite

TARGETS = {"github": Path(".github/workflows/nbops.yml"), "gitlab": Path(".gitlab-ci.yml")}


def install_commands(root: Path) -> list[str]:
    """How CI installs the project in ``root``: its own requirements, then nbops."""
    import nbops

    commands = [f'pip install "nbops>={nbops.__version__}"']
    for name in ("requirements.lock", "requirements.txt"):
        if (root / name).is_file():
            commands.append(f"pip install -r {name}")
            break
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        commands.append("pip install .")
    return commands


def ci_python() -> str:
    """The Python CI uses: this one's version, within what nbops supports."""
    minor = min(max(sys.version_info[1], 11), 13)
    return f"3.{minor}"


def render_ci(root: Path, kind: str) -> str:
    """The workflow text for ``kind`` (github | gitlab)."""
    import jinja2

    from nbops.scaffold._init import scaffold_text

    if kind not in TARGETS:
        raise ConfigError(f"unknown CI service {kind!r}", "use --github or --gitlab")
    template = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                  autoescape=False).from_string(scaffold_text(f"ci/{kind}.yml"))
    return template.render(python=ci_python(), install=install_commands(root))


def write_ci(root: Path, kind: str, force: bool = False) -> PlannedWrite | None:
    """Write the workflow into ``root``; None when the same file is already there.

    Raises:
        ConfigError: ``root`` has no pipeline.yaml, or a different workflow file
            exists there (and ``force`` is off).
    """
    from nbops.core import locate_pipeline
    from nbops.scaffold._init import PlannedWrite

    root = Path(root).resolve()
    if locate_pipeline(root) is None:
        raise ConfigError(f"there is no pipeline.yaml in {root}",
                          "run nbops init ci in the folder that holds your pipeline.yaml")
    text = render_ci(root, kind)
    path = root / TARGETS[kind]
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return None
        if not force:
            raise ConfigError(f"{path} already exists and differs from nbops' workflow",
                              "merge the steps by hand (nbops' guide, Adopting nbops) or pass "
                              "--force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    crash_point("init_ci.workflow_written")
    return PlannedWrite(path, text, "builds the pipeline, keeps reports/ and the run summary")
