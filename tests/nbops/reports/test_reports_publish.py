import html as htmllib
import re
import zipfile
from urllib.parse import unquote

import pytest
from reports_fixture import SECRET, XSS_SCRIPT, run_id_at

from nbops.core._errors import LedgerError
from nbops.reports._publish import publish_html, publish_zip
from nbops.reports._render import render_run


@pytest.fixture(scope="module")
def published(ledger, tmp_path_factory):
    render_run(ledger["first"])
    render_run(ledger["latest"])
    out = tmp_path_factory.mktemp("share") / "run.html"
    return publish_html(run_id_at(3), out, reports_dir=ledger["reports"]).read_text("utf-8")


def test_single_file_holds_run_page_and_every_notebook(published):
    frames = re.findall(r'<iframe title="([^"]*)" sandbox="" srcdoc="([^"]*)"', published)
    assert {htmllib.unescape(t) for t, _ in frames} >= {"load", "features", "train", "evaluate"}
    train = htmllib.unescape(dict(frames)["train"])
    assert "Parameters injected by Ploomber" in train and "data:image/png;base64," in train
    assert '<base href="about:srcdoc">' in train
    assert "<script" not in train and "nbops-toggle-code" not in train  # sandboxed: no scripts
    assert "nbops-barlink" not in train  # links to files outside the single file are gone
    assert '<section class="view" id="run">' in published and "Pipeline" in published


def test_single_file_links_only_inside_itself(published):
    outer = re.sub(r'srcdoc="[^"]*"', "", published)
    hrefs = re.findall(r'href="([^"]*)"', outer)
    assert hrefs and all(h.startswith("#") for h in hrefs), hrefs
    ids = set(re.findall(r'id="([^"]*)"', outer))
    assert {h[1:] for h in hrefs} <= ids
    assert "<script" not in outer
    assert not re.search(r'(src|href)=&quot;(https?:)?//', published)


def test_single_file_keeps_secrets_out_and_escapes_payloads(published):
    assert SECRET not in published
    assert XSS_SCRIPT not in re.sub(r'srcdoc="[^"]*"', "", published)


def test_zip_holds_the_run_folder(ledger, tmp_path):
    out = publish_zip(run_id_at(3), tmp_path / "run.zip", reports_dir=ledger["reports"])
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        index = archive.read(f"{run_id_at(3)}/index.html").decode()
    prefix = run_id_at(3) + "/"
    assert {prefix + "index.html", prefix + "manifest.json", prefix + "html/train.html",
            prefix + "notebooks/train.ipynb"} <= names
    for href in re.findall(r'href="([^"#]+)', index):
        assert prefix + unquote(htmllib.unescape(href)) in names, href


def test_unknown_run_is_a_clear_error(ledger, tmp_path):
    with pytest.raises(LedgerError, match="No single run matches"):
        publish_html("nope", tmp_path / "x.html", reports_dir=ledger["reports"])
