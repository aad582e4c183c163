"""Serve the report site on 127.0.0.1 for people who prefer a URL.

A plain static file server over ``reports/`` (Python's ``http.server``), bound
to the loopback interface only; nothing is served outside that folder: a
request whose file resolves (through ``..`` or a symbolic link placed inside
``reports/``) to anything outside it gets a 404.
"""

from __future__ import annotations

import functools
import logging
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nbops.core.errors import ConfigError, LedgerError

log = logging.getLogger("nbops")

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files with request lines sent to the nbops logger, not stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        log.info("nbops serve: " + format, *args)

    def send_head(self) -> Any:
        """Answer 404 for anything that resolves outside the served folder."""
        root = os.path.realpath(self.directory)
        real = os.path.realpath(self.translate_path(self.path))
        if real != root and not real.startswith(root + os.sep):
            log.warning("nbops serve: refused %s: it resolves outside %s", self.path, root)
            self.send_error(404, "File not found")
            return None
        return super().send_head()


def make_server(reports_dir: Path, port: int = 8765) -> ThreadingHTTPServer:
    """Create (not start) a server for ``reports_dir`` on 127.0.0.1:``port``.

    ``port=0`` picks a free port (see ``server.server_address``).
    """
    reports_dir = Path(reports_dir)
    if not (reports_dir / "index.html").is_file():
        raise LedgerError(
            f"No report site at {reports_dir / 'index.html'}",
            "run `ploomber build` or `nbops report` first",
        )
    if not 0 <= port <= 65535:
        raise ConfigError(f"Port {port} is out of range", "pass --port between 1024 and 65535")
    handler = functools.partial(_QuietHandler, directory=str(reports_dir))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {HOST}:{port} ({exc.strerror})",
            "pick another port with --port, or stop what is using it",
        ) from None


def serve(reports_dir: Path, port: int = 8765) -> None:
    """Serve ``reports_dir`` on 127.0.0.1:``port`` until interrupted."""
    server = make_server(reports_dir, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
