"""Where a Ploomber project's pipeline and root are, found by Ploomber's own rules.

``ploomber build`` without ``--entry-point`` looks, from the working folder, for:

1. a ``setup.cfg`` (this folder or up to five above) whose ``[ploomber]`` section names an
   ``entry-point``: that file, and the ``setup.cfg``'s folder is the root;
2. otherwise ``pipeline.yaml`` (or the file ``$ENTRY_POINT`` names) or a ``setup.py``,
   whichever is nearer (up to five folders above): a ``setup.py`` makes its folder the
   root and the pipeline ``src/<package>/pipeline.yaml`` (the *packaged layout*); a
   ``pipeline.yaml`` under ``src/<package>/`` never is a root by itself.

These are the rules of ``ploomber.util.default.entry_point`` and
``find_root_recursively`` (Ploomber 0.23), written again here because importing
Ploomber costs every nbops command more than a second; ``tests/nbops/core/
test_pipeline_location.py`` checks both give the same answer on every layout.
``reports/`` and ``.nbops/`` belong to the root, never to the package folder.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

from nbops.core._errors import ConfigError

DEFAULT_PIPELINE = "pipeline.yaml"
ENTRY_POINT_ENV = "ENTRY_POINT"
_LEVELS = 6  # Ploomber looks in the folder and five above it


@dataclass(frozen=True)
class PipelineLocation:
    """A project's root and the pipeline file Ploomber would build there.

    Attributes:
        root: the project root (where ``reports/`` and ``.nbops/`` go).
        pipeline: the pipeline file, or None when the entry point is a dotted path.
        dotted_path: the factory's dotted path (``pkg.pipeline.make``), if that is the
            entry point.
    """

    root: Path
    pipeline: Path | None
    dotted_path: str | None = None


def is_dotted_path(entry_point: str) -> bool:
    """Whether Ploomber reads ``entry_point`` as a dotted path to a factory.

    Ploomber's ``try_to_find_entry_point_type``: not a pattern, a module path or an
    existing file, but has a dot and no ``.yaml``/``.yml`` suffix.
    """
    if "*" in entry_point or "::" in entry_point or Path(entry_point).exists():
        return False
    return "." in entry_point and Path(entry_point).suffix not in {".yaml", ".yml"}


def _nearest(name: str, start: Path) -> tuple[Path | None, int | None]:
    folder = start
    for levels in range(_LEVELS):
        if (folder / name).exists():
            return folder, levels
        folder = folder.parent
    return None, None


def _package_pipeline(root: Path, name: str) -> Path | None:
    candidates = sorted(p for p in root.glob(f"src/*/{name}")
                        if not p.parent.name.endswith(".egg-info"))
    return candidates[0] if candidates else None


def _configured(start: Path) -> PipelineLocation | None:
    folder, _ = _nearest("setup.cfg", start)
    if folder is None:
        return None
    config = configparser.ConfigParser()
    config.read(folder / "setup.cfg", encoding="utf-8")
    if "ploomber" not in config or not config["ploomber"].get("entry-point"):
        return None
    pipeline = folder / config["ploomber"]["entry-point"]
    if not pipeline.is_file():
        raise ConfigError(
            f"setup.cfg in {folder} names the entry point {pipeline}, which does not exist",
            "fix entry-point under [ploomber] in setup.cfg (ploomber build fails the same way)",
        )
    return PipelineLocation(folder, pipeline)


def _root(start: Path, name: str) -> Path | None:
    """``find_root_recursively``: the nearer of ``name`` and ``setup.py``, packages aside."""
    by_setup, setup_levels = _nearest("setup.py", start)
    by_pipeline, pipeline_levels = _nearest(name, start)
    if by_pipeline is not None and by_setup is None:
        return None if by_pipeline.parent.name == "src" else by_pipeline
    if by_pipeline is not None and by_setup is not None:
        assert pipeline_levels is not None and setup_levels is not None
        if pipeline_levels < setup_levels and by_pipeline.parent.name != "src":
            return by_pipeline
    if by_setup is not None:
        has_pipeline = (_package_pipeline(by_setup, name) is not None
                        or (by_setup / name).is_file())
        return by_setup if has_pipeline else None
    return None


def locate_pipeline(start: Path | str | None = None,
                    entry_point: str | None = None) -> PipelineLocation | None:
    """The project root and pipeline ``ploomber build`` would use from ``start``.

    Args:
        start: the folder ``ploomber build`` would run in (default: the cwd).
        entry_point: ``--entry-point``: a pipeline file (relative to ``start``) or a
            dotted path to a factory; default ``$ENTRY_POINT``, then the search above.

    Returns:
        None when ``start`` is in no Ploomber project.

    Raises:
        ConfigError: ``setup.cfg`` or ``$ENTRY_POINT`` names something that does not exist.
    """
    here = Path(os.path.abspath(start or os.getcwd()))
    if entry_point:
        with_folder = Path(entry_point) if Path(entry_point).is_absolute() else here / entry_point
        if with_folder.is_file():
            folder = with_folder.parent
            root = _root(folder, with_folder.name) or _root(folder, DEFAULT_PIPELINE) or folder
            return PipelineLocation(root, with_folder)
        if is_dotted_path(entry_point):
            return PipelineLocation(_root(here, DEFAULT_PIPELINE) or here, None, entry_point)
        raise ConfigError(f"the entry point {entry_point} is neither a file in {here} "
                          "nor a dotted path to a factory",
                          "pass the pipeline file (pipeline.NAME.yaml) or pkg.module.factory")
    named = os.environ.get(ENTRY_POINT_ENV) or ""
    if named and is_dotted_path(named):
        return PipelineLocation(_root(here, DEFAULT_PIPELINE) or here, None, named)
    if named and len(Path(named).parts) > 1:
        raise ConfigError(f"${ENTRY_POINT_ENV} is {named!r}, a path",
                          f"set {ENTRY_POINT_ENV} to a file name such as pipeline.serve.yaml "
                          "(Ploomber refuses paths there too)")
    configured = _configured(here)
    if configured is not None:
        return configured
    name = named or DEFAULT_PIPELINE
    found = _root(here, name)
    if found is None:
        return None
    packaged = _package_pipeline(found, name) if (found / "setup.py").is_file() else None
    return PipelineLocation(found, packaged or found / name)


def pipeline_files(location: PipelineLocation) -> list[Path]:
    """The location's pipeline and its ``pipeline.<name>.yaml`` siblings (Ploomber builds
    each with ``--entry-point``), the located one first."""
    if location.pipeline is None:
        return []
    siblings = sorted(p for p in location.pipeline.parent.glob("pipeline.*.y*ml")
                      if p.suffix in {".yaml", ".yml"} and p.name.count(".") == 2)
    return [location.pipeline, *[p for p in siblings if p != location.pipeline]]
