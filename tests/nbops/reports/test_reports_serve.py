import threading
import urllib.request

import pytest

from nbops.core.errors import LedgerError
from nbops.reports.render import render_site
from nbops.reports.serve import make_server


def test_serves_the_site_on_loopback_only(ledger):
    render_site(ledger["reports"])
    server = make_server(ledger["reports"], port=0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as resp:
            body = resp.read().decode()
        assert resp.status == 200 and 'id="runs"' in body
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_refuses_a_folder_without_a_site(tmp_path):
    with pytest.raises(LedgerError, match="No report site"):
        make_server(tmp_path, port=0)
