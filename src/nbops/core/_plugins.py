"""Plug-ins: what another installed distribution adds to nbops through entry points.

A plug-in package declares, in its own ``pyproject.toml``::

    [project.entry-points."nbops.gate_operators"]
    about = "my_plugin:ABOUT"          # an object with `symbol` and `compare(value, threshold)`

    [project.entry-points."nbops.post_close_steps"]
    audit = "my_plugin:AuditStep"      # a factory (a class) of a post-close step

and nbops finds it once installed, without an edit to nbops (the way Papermill finds
engines through ``papermill.engine``). Entries load in name order, so a build sees the
same order on every machine. A plug-in that fails to load is refused with one sentence
naming it and its distribution, before any work.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from nbops.core._errors import ConfigError

#: The entry-point groups nbops reads (see ARCHITECTURE.md, "Extension points").
GATE_OPERATOR_PLUGINS = "nbops.gate_operators"
POST_CLOSE_STEP_PLUGINS = "nbops.post_close_steps"


def _distribution(entry: EntryPoint) -> str:
    dist = entry.dist
    return "an unnamed distribution" if dist is None else f"{dist.name} {dist.version}"


@cache
def load_plugins(group: str) -> tuple[tuple[str, object], ...]:
    """``(name, loaded object)`` of every entry point in ``group``, sorted by name.

    Read once per process (scanning the installed distributions costs tens of ms), and
    only when some distribution's ``entry_points.txt`` names ``group`` at all
    (:func:`_maybe_declared`).

    Raises:
        ConfigError: an entry point does not import (naming it and its distribution).
    """
    if not _maybe_declared(group):
        return ()
    found = sorted(entry_points(group=group), key=lambda entry: entry.name)
    loaded = []
    for entry in found:
        try:
            loaded.append((entry.name, entry.load()))
        except Exception as exc:  # a plug-in's own bug, reported as its own
            raise ConfigError(
                f"the nbops plug-in {entry.name!r} ({group} = {entry.value!r}, from "
                f"{_distribution(entry)}) failed to load: {type(exc).__name__}: {exc}",
                f"fix or reinstall {_distribution(entry)}, or uninstall it",
            ) from None
    return tuple(loaded)


def _maybe_declared(group: str) -> bool:
    """Whether a distribution on ``sys.path`` may declare an entry point of ``group``.

    A text search of the ``entry_points.txt`` of each ``.dist-info``/``.egg-info``
    folder (~5 ms, against ~25 ms of CPU for importlib.metadata's scan, which parses
    every one): False only when none names the group. True whenever it cannot tell:
    a ``sys.path`` entry that is a file (a zip, an egg), or a finder on
    ``sys.meta_path`` that finds distributions elsewhere.
    """
    from importlib.machinery import PathFinder

    if any(getattr(finder, "find_distributions", None) is not None
           and finder is not PathFinder for finder in sys.meta_path):
        return True
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:
            return True
        except OSError:  # a folder that does not exist: nothing to find there
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry or ".", name, "entry_points.txt"),
                          encoding="utf-8", errors="replace") as declared:
                    if group in declared.read():
                        return True
            except OSError:  # none (most distributions), or an .egg-info file
                continue
    return False


def plugin_problem(group: str, name: str, problem: str, fix: str) -> ConfigError:
    """One error about a loaded plug-in that does not fit its group's contract."""
    return ConfigError(f"the nbops plug-in {name!r} in {group} {problem}", fix)
