import json
import threading
import urllib.error
import urllib.request

import pytest

from nbops.core._errors import LedgerError
from nbops.reports._render import render_site
from nbops.reports._serve import make_server


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


def _serving(reports):  # type: ignore[no-untyped-def]
    server = make_server(reports, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}/"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, refused.read().decode()


def test_any_picked_runs_are_compared_notebooks_and_all_on_request(ledger):
    from reports_fixture import SECRET, XSS_SCRIPT, run_id_at

    render_site(ledger["reports"])
    server, thread, url = _serving(ledger["reports"])
    try:
        status, info = _get(url + "_nbops/serve.json")
        assert status == 200 and json.loads(info) == {"compare": "_nbops/compare"}
        status, page = _get(url + f"_nbops/compare?runs={run_id_at(1)},{run_id_at(3)}")
        assert status == 200
        assert run_id_at(1) in page and run_id_at(3) in page
        # the evaluate notebooks, diffed cell by cell: the metric line changed
        assert '<span class="del">- roc_auc = 0.8</span>' in page
        assert '<span class="ins">+ roc_auc = 0.83</span>' in page
        assert XSS_SCRIPT not in page  # the hostile run's payloads are escaped
        assert SECRET not in page  # redacted as on the notebook pages
        for query, code, words in [
            (f"runs={run_id_at(1)}", 400, "Pick between 2 and 8 runs"),
            (f"runs={run_id_at(1)},../../etc", 400, "is not a run id"),
            (f"runs={run_id_at(1)},{run_id_at(9)}", 404, "pick runs listed on the site"),
        ]:
            status, body = _get(url + "_nbops/compare?" + query)
            assert status == code and words in body, (query, body)
        assert _get(url + "_nbops/other")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
