"""The opt-in one-line ``.pth`` start-up hooks ("speedups") of a project's environment.

A ``.pth`` file in site-packages runs in *every* interpreter of the environment
(``ploomber build``, JupyterLab, kernels, the team's own scripts), so the wheel
ships none: ``nbops init --speedups`` writes them, ``nbops init --remove-speedups``
deletes them, and ``make install`` writes them into this repository's ``.venv``.
Each line does one cheap thing, and nothing at all once nbops is uninstalled:

* ``nbops_telemetry_off.pth``: ``PLOOMBER_STATS_ENABLED=false`` and
  ``PLOOMBER_VERSION_CHECK_DISABLED=true`` unless the user set them, for every
  Ploomber-based tool of the environment (nbops sets them itself for what it runs).
* ``nbops_lazy_grammar.pth``: :mod:`nbops.runtime.lazy_grammar` defers
  rfc3987_syntax's grammar compilation (about 1 s of CPU) to its first use.
* ``nbops_ploomber_config_errors.pth``: :mod:`nbops.adapters.ploomber_config_errors`
  turns a malformed env.yaml / pipeline.yaml read by a plain ``ploomber build``
  into one clear sentence (nbops' own commands do so without it).

The lines name modules as strings, so this core module imports none of them.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path


def _call(module: str, function: str = "install") -> str:
    attribute = ".".join(module.split(".")[1:])
    return (
        "import importlib.util as _u; _u.find_spec('nbops') and "
        f"__import__('{module}').{attribute}.{function}()\n"
    )


HOOKS: dict[str, str] = {
    "nbops_telemetry_off.pth": (
        "import os; os.environ.setdefault('PLOOMBER_STATS_ENABLED', 'false'); "
        "os.environ.setdefault('PLOOMBER_VERSION_CHECK_DISABLED', 'true')\n"
    ),
    "nbops_lazy_grammar.pth": _call("nbops.runtime.lazy_grammar"),
    "nbops_ploomber_config_errors.pth": _call("nbops.adapters.ploomber_config_errors"),
}


def site_packages() -> Path:
    """The site-packages folder of the environment this interpreter runs in."""
    return Path(sysconfig.get_paths()["purelib"])


def install_all(target: Path | None = None) -> list[Path]:
    """Write every hook into ``target`` (default: this environment's site-packages)."""
    folder = target or site_packages()
    written = []
    for name, line in HOOKS.items():
        path = folder / name
        path.write_text(line, encoding="utf-8")
        written.append(path)
    return written


def remove_all(target: Path | None = None) -> list[Path]:
    """Delete every hook from ``target`` (default: this environment's site-packages).

    Returns the files that were there and are gone now.
    """
    folder = target or site_packages()
    removed = []
    for name in HOOKS:
        path = folder / name
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


if __name__ == "__main__":  # pragma: no cover - exercised by `make install`
    if sys.argv[1:] == ["--install"]:
        install_all()
    elif sys.argv[1:] == ["--remove"]:
        remove_all()
    else:
        raise SystemExit("usage: python -m nbops.runtime.startup_hooks --install | --remove")
