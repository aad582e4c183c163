"""The one-line ``.pth`` start-up hooks nbops adds to the project's environment.

Each line runs when any interpreter of the environment starts (``ploomber
build``, JupyterLab, kernels, tests) and does one cheap thing:

* ``nbops_telemetry_off.pth``: ``PLOOMBER_STATS_ENABLED=false`` (and no version
  check) unless the user set them, so Ploomber never calls home.
* ``nbops_lazy_grammar.pth``: :mod:`nbops.engine.lazy_grammar` defers
  rfc3987_syntax's 1.2–1.5 s grammar compilation to first use.
* ``nbops_ploomber_config_errors.pth``: :mod:`nbops.adapters.ploomber_config_errors`
  turns a malformed env.yaml / pipeline.yaml into one clear sentence.

``make install`` runs ``python -m nbops.core.startup_hooks --install``. The
lines name modules as strings, so this core module imports none of them.
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
    "nbops_lazy_grammar.pth": _call("nbops.engine.lazy_grammar"),
    "nbops_ploomber_config_errors.pth": _call("nbops.adapters.ploomber_config_errors"),
}


def install_all(site_packages: Path | None = None) -> list[Path]:
    """Write every hook into ``site_packages`` (default: this interpreter's)."""
    target = site_packages or Path(sysconfig.get_paths()["purelib"])
    written = []
    for name, line in HOOKS.items():
        path = target / name
        path.write_text(line, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - exercised by `make install`
    if sys.argv[1:] == ["--install"]:
        install_all()
    else:
        raise SystemExit("usage: python -m nbops.core.startup_hooks --install")
