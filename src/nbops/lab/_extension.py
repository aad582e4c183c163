"""Loading the server extension into jupyter_server (``nbops.lab`` is its module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load(serverapp: Any) -> None:
    """Register ``/nbops/api/`` on a running jupyter_server."""
    from nbops.lab._context import LabContext
    from nbops.lab._handlers import handlers

    context = LabContext(Path(serverapp.root_dir))
    web_app = serverapp.web_app
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"], context))
    serverapp.log.info("nbops: the JupyterLab panel's API is at %snbops/api/",
                       web_app.settings["base_url"])
