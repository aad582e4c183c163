import threading
import urllib.error
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


def test_never_follows_a_symlink_out_of_the_reports_folder(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("<h1>site</h1>")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not serve")
    (reports / "runs").mkdir()
    (reports / "runs" / "leak").symlink_to(outside, target_is_directory=True)
    (reports / "leak.txt").symlink_to(outside / "secret.txt")
    (reports / "inside.txt").write_text("fine")
    server = make_server(reports, port=0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("runs/leak/secret.txt", "leak.txt", "runs/leak/", "../private/secret.txt",
                     "%2e%2e/private/secret.txt"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=10)
            refused.value.close()
            assert refused.value.code == 404, path
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/inside.txt", timeout=10) as resp:
            assert resp.read() == b"fine"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
