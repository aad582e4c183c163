"""Serve the report site on 127.0.0.1 for people who prefer a URL.

A plain static file server over ``reports/`` (Python's ``http.server``), bound
to the loopback interface only; nothing is served outside that folder: a
request whose file resolves (through ``..`` or a symbolic link placed inside
``reports/``) to anything outside it gets a 404.

One page is made on request, because a static site cannot hold it for every
pair of runs: ``/_nbops/compare?runs=A,B[,C…]`` compares any runs the reader
picked, their notebooks diffed cell by cell (the page ``nbops compare A B -o``
writes). The site's compare page links to it when ``/_nbops/serve.json``
answers, that is, when this server serves the site; opened from files or a
bucket, it shows the command instead.

Requests whose ``Host`` header does not name this machine (loopback names, or
ones allowed with ``--allow-host``) get a 421: a web page whose own name was
re-pointed at 127.0.0.1 (DNS rebinding) cannot read the site.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nbops.core import ConfigError, HostCheck, LedgerError

log = logging.getLogger("nbops")

HOST = "127.0.0.1"


#: Where the pages made on request live (no run folder or site file starts with "_").
DYNAMIC = "/_nbops/"
#: The most runs one comparison shows (each adds a column and a notebook diff per task).
MAX_COMPARED = 8


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files with request lines sent to the nbops logger, not stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        log.info("nbops serve: " + format, *args)

    server: _SiteServer

    def parse_request(self) -> bool:
        """The request line and headers, refused (421) unless the Host names this server."""
        if not super().parse_request():
            return False
        host = self.headers.get("Host")
        if self.server.hosts.accepts(host):
            return True
        log.warning("nbops serve: refused a request for Host %r", host)
        self._refuse(421, self.server.hosts.refusal(host) + ".")
        return False

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith(DYNAMIC):
            self._dynamic()
        else:
            super().do_GET()

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: int, sentence: str) -> None:
        self._send(status, f"<!doctype html><meta charset=utf-8><title>nbops serve</title>"
                           f"<p>{html.escape(sentence)}</p>", "text/html")

    def _dynamic(self) -> None:
        url = urlsplit(self.path)
        if url.path == DYNAMIC + "serve.json":
            self._send(200, json.dumps({"compare": DYNAMIC.lstrip("/") + "compare"}),
                       "application/json")
        elif url.path == DYNAMIC + "compare":
            self._compare(parse_qs(url.query).get("runs", [""])[0])
        else:
            self._refuse(404, f"No such page: {url.path}.")

    def _compare(self, picked: str) -> None:
        from nbops.core import is_run_id
        from nbops.reports._compare_page import compare_page_html

        run_ids = [r for r in picked.split(",") if r]
        bad = [r for r in run_ids if not is_run_id(r)]
        if bad or not 2 <= len(run_ids) <= MAX_COMPARED:
            self._refuse(400, f"Pick between 2 and {MAX_COMPARED} runs by their ids, e.g. "
                              "?runs=RUN_A,RUN_B" + (f" ({bad[0][:80]!r} is not a run id)."
                                                     if bad else "."))
            return
        try:
            page = compare_page_html(Path(self.directory), run_ids)
        except LedgerError as exc:
            self._refuse(404, f"{exc.problem.rstrip('.')}; pick runs listed on the site.")
            return
        self._send(200, page, "text/html")

    def send_head(self) -> Any:
        """Answer 404 for anything that resolves outside the served folder."""
        root = os.path.realpath(self.directory)
        real = os.path.realpath(self.translate_path(self.path))
        if real != root and not real.startswith(root + os.sep):
            log.warning("nbops serve: refused %s: it resolves outside %s", self.path, root)
            self.send_error(404, "File not found")
            return None
        return super().send_head()


class _SiteServer(ThreadingHTTPServer):
    """The site's HTTP server, with the Host names it answers."""

    hosts = HostCheck(HOST)


def make_server(reports_dir: Path, port: int = 8765,
                allow_hosts: tuple[str, ...] = ()) -> ThreadingHTTPServer:
    """Create (not start) a server for ``reports_dir`` on 127.0.0.1:``port``.

    ``port=0`` picks a free port (see ``server.server_address``).  Requests are
    answered when their Host names loopback or one of ``allow_hosts``.
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
        server = _SiteServer((HOST, port), handler)
        server.hosts = HostCheck(HOST, allow_hosts)
        return server
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {HOST}:{port} ({exc.strerror})",
            "pick another port with --port, or stop what is using it",
        ) from None


def serve(reports_dir: Path, port: int = 8765, allow_hosts: tuple[str, ...] = ()) -> None:
    """Serve ``reports_dir`` on 127.0.0.1:``port`` until interrupted."""
    server = make_server(reports_dir, port, allow_hosts)
    try:
        server.serve_forever()
    finally:
        server.server_close()
