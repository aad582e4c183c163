"""Share a run: one self-contained HTML file, or the run folder as a zip.

The single file holds the run page and every notebook page. Each notebook page
is embedded whole in a sandboxed ``<iframe srcdoc>`` (its styles and anchors
stay its own and its scripts cannot run), and plain CSS ``:target`` rules show
one view at a time, so it works from disk with scripts disabled and fetches
nothing. Links to files that are not part of what is shared are turned into
plain text rather than left dangling.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from markupsafe import Markup

from nbops.core import LedgerError, atomic_path, atomic_write_text
from nbops.reports._ledger_view import load_manifest, run_dir_of, runs_dir
from nbops.reports._markup import esc
from nbops.reports._paths import page_stem, task_page
from nbops.reports._render import render_run
from nbops.reports._templates_env import render

_HREF = re.compile(r'href="([^"]*)"')
# Embedded notebook pages are sandboxed without scripts: drop the page's own
# script and the button it drives rather than leave a dead control.
_SCRIPTS = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)
_TOGGLE = re.compile(r'<button[^>]*id="nbops-toggle-code"[^>]*>.*?</button>', re.DOTALL)
_BAR_LINKS = re.compile(r'<a class="nbops-barlink"[^>]*>.*?</a>', re.DOTALL)
_TASK_PAGE = re.compile(r"^html/([^/#?]+)\.html(#.*)?$")

_PUBLISH_CSS = """
.view { display: none; } .view:target { display: block; } #run { display: block; }
.view:target ~ #run { display: none; }
.view iframe { width: 100%; height: calc(100vh - 90px); border: 1px solid var(--line); }
header.top nav a { display: inline-block; }
"""


def rewrite_hrefs(text: str, mapper: Callable[[str], str | None]) -> str:
    """Replace every ``href="..."`` in ``text``; ``None`` drops the link target."""

    def swap(match: re.Match[str]) -> str:
        new = mapper(html.unescape(match.group(1)))
        return f'href="{esc(new)}"' if new is not None else 'data-link-removed=""'

    return _HREF.sub(swap, text)


def _external_or_anchor(href: str) -> bool:
    return href.startswith(("#", "http://", "https://", "mailto:"))


def _inner_main(page_html: str) -> str:
    start, end = page_html.find("<main>"), page_html.rfind("</main>")
    if start < 0 or end < 0:
        raise LedgerError("The run page has no <main> element", "re-render it with `nbops report`")
    return page_html[start + len("<main>") : end]


def _resolve_run(run: str, reports_dir: Path) -> Path:
    """The folder of ``run`` (an id, a unique prefix, ``latest`` or ``latest~N``)."""
    try:
        return run_dir_of(reports_dir, run)
    except LedgerError as exc:
        raise LedgerError(
            f"No single run matches {run!r} in {runs_dir(reports_dir)} ({exc.problem})",
            "pass a full run id as listed by `nbops runs`",
        ) from None


def publish_html(run: str, output: Path, *, reports_dir: Path = Path("reports")) -> Path:
    """Write the run page and every notebook page of ``run`` as one HTML file.

    Args:
        run: a run id (or an unambiguous prefix of one).
        output: the ``.html`` file to write.
        reports_dir: the project's ``reports`` folder.
    """
    run_dir = _resolve_run(run, reports_dir)
    manifest = load_manifest(run_dir)
    if not (run_dir / "index.html").is_file():
        render_run(run_dir, reports_dir=Path(reports_dir))
    stems = {page_stem(n): n for n in manifest.get("tasks", {}) if task_page(run_dir, n).is_file()}

    def run_links(href: str) -> str | None:
        match = _TASK_PAGE.match(href)
        if match and match.group(1) in stems:
            return f"#nb-{match.group(1)}"
        if href == "manifest.json":
            return "#manifest"
        return href if _external_or_anchor(href) else None

    def notebook_links(href: str) -> str | None:
        return href if _external_or_anchor(href) else None

    run_html = rewrite_hrefs(_inner_main((run_dir / "index.html").read_text("utf-8")), run_links)
    notebooks = []
    for stem, name in stems.items():
        nb_html = (run_dir / "html" / f"{stem}.html").read_text("utf-8")
        nb_html = _BAR_LINKS.sub("", _TOGGLE.sub("", _SCRIPTS.sub("", nb_html)))
        nb_html = rewrite_hrefs(nb_html, notebook_links)
        # Fragment links inside a srcdoc document must resolve against the
        # document itself, not against the file that embeds it.
        nb_html = nb_html.replace("<head>", '<head><base href="about:srcdoc">', 1)
        notebooks.append({"stem": stem, "name": name, "html": nb_html})
    document = render("published.html.j2", run_id=manifest["run_id"],
                      status=manifest.get("status"), notebooks=notebooks,
                      manifest_json=json.dumps(manifest, indent=2, ensure_ascii=False),
                      run_html=Markup(run_html),  # our own rendered page, links rewritten
                      css=Markup(_PUBLISH_CSS))
    output = Path(output)
    atomic_write_text(output, document)
    return output


def publish_zip(run: str, output: Path, *, reports_dir: Path = Path("reports")) -> Path:
    """Write the run folder (pages, notebooks, manifest) as a zip archive.

    The archive holds ``<run_id>/...``; links to other runs and to the site,
    which are not in the archive, become plain text on the run page.
    """
    run_dir = _resolve_run(run, reports_dir)
    load_manifest(run_dir)  # refuses a run whose manifest does not match its seal
    if not (run_dir / "index.html").is_file():
        render_run(run_dir, reports_dir=Path(reports_dir))
    # symbolic links are never followed: a link placed in the run folder must not
    # export the file it points to
    files = sorted(p for p in run_dir.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and not _through_link(run_dir, p))
    present = {p.relative_to(run_dir).as_posix() for p in files}

    def run_links(href: str) -> str | None:
        target = href.split("#", 1)[0]
        if _external_or_anchor(href) or unquote(target) in present:
            return href
        return None

    output = Path(output)
    with atomic_path(output) as tmp, \
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            name = f"{run_dir.name}/{path.relative_to(run_dir).as_posix()}"
            if path == run_dir / "index.html":
                archive.writestr(name, rewrite_hrefs(path.read_text("utf-8"), run_links))
            else:
                archive.write(path, name)
    return output


def _through_link(folder: Path, path: Path) -> bool:
    """Whether ``path`` (inside ``folder``) is, or is reached through, a symbolic link."""
    current = folder
    for part in path.relative_to(folder).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False
