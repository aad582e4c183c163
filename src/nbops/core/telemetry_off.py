"""Keep Ploomber's usage statistics off in the project's environment.

Ploomber reads ``PLOOMBER_STATS_ENABLED`` before sending anything. ``make install``
runs ``python -m nbops.core.telemetry_off --install``, which drops a one-line
``.pth`` file into the environment's site-packages so that every Python process
started from it (``ploomber build``, JupyterLab, kernels, tests) has the variable
set to ``false`` unless the user set it explicitly.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

PTH_NAME = "nbops_telemetry_off.pth"
PTH_LINE = (
    "import os; os.environ.setdefault('PLOOMBER_STATS_ENABLED', 'false'); "
    "os.environ.setdefault('PLOOMBER_VERSION_CHECK_DISABLED', 'true')\n"
)


def disable_in_process() -> None:
    """Set the variables for this process and its children (kernels)."""
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
    os.environ.setdefault("PLOOMBER_VERSION_CHECK_DISABLED", "true")


def install_pth(site_packages: Path | None = None) -> Path:
    """Write the ``.pth`` file into ``site_packages`` (default: this interpreter's)."""
    target = site_packages or Path(sysconfig.get_paths()["purelib"])
    path = target / PTH_NAME
    path.write_text(PTH_LINE, encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - exercised by `make install`
    if sys.argv[1:] == ["--install"]:
        install_pth()
    else:
        raise SystemExit("usage: python -m nbops.core.telemetry_off --install")
