"""Render one executed notebook to a self-contained HTML page with nbconvert.

The exporter is built once per process and per ``hide_code`` setting and then
reused: building it costs far more than converting a small notebook. The page
uses JupyterLab's cell markup with nbops' own compact stylesheet and template
(``templates/nbops_notebook``): no CDN scripts, images embedded as data URIs,
the injected-parameters cell folded into a ``<details>``, Papermill's error
marker cells replaced by a red banner that links to the failed cell, and HTML
outputs sanitized so a notebook cannot run scripts in the reader's browser.

nbconvert is imported here only, and only when a page is rendered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbops.adapters import is_error_banner, is_injected_parameters
from nbops.contracts import TaskError
from nbops.reports._markup import asset
from nbops.reports._page_redaction import redact_notebook, secret_replacements
from nbops.reports._sanitize import clean_html
from nbops.reports._template_cache import bytecode_cache
from nbops.reports._templates_env import macro

if TYPE_CHECKING:
    from nbformat import NotebookNode

# HTML reprs that only make sense with their own stylesheet and scripts (which a
# report drops) and are large enough to dominate sanitizing time: scikit-learn's
# estimator diagram is ~190 KB. Such outputs are shown by their text/plain twin.
_STYLED_REPR_MARKERS = ("sk-top-container",)
_TEMPLATE_NAME = "nbops_notebook"

_TOGGLE_JS = """
(function () {
  var b = document.getElementById('nbops-toggle-code');
  if (!b) return;
  b.addEventListener('click', function () {
    var hidden = document.body.classList.toggle('nbops-hide-code');
    b.textContent = hidden ? 'Show code' : 'Hide code';
  });
})();
"""


@dataclass(frozen=True)
class NotebookPage:
    """What to render and how.

    Attributes:
        task: the task name (shown as the title).
        run_id: the run the notebook belongs to.
        status: the task's status in the manifest.
        error: the manifest's ``error`` record for a failed task, if any.
        params: the task's parameters as recorded (redacted) in the manifest.
        hide_code: start with code cells hidden (readers can still show them).
        links: extra ``(label, href)`` links for the top bar.
    """

    task: str
    run_id: str = ""
    status: str = ""
    error: TaskError | None = None
    params: Mapping[str, object] | None = None
    hide_code: bool = False
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@cache
def _css() -> str:
    from pygments.formatters import HtmlFormatter

    pygments_css: str = HtmlFormatter(style="default").get_style_defs(".highlight")
    # IPython syntax (%magics, !shell) is lexed as Python: no red error boxes.
    return asset("notebook.css") + "\n" + pygments_css + "\n.highlight .err { border: none; }\n"


_lock = threading.Lock()
_exporters: dict[bool, Any] = {}
_IMG_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")


def _exporter_class() -> Any:
    """HTMLExporter minus its final BeautifulSoup pass over the whole page.

    That pass only adds ``alt`` text and ``tabindex`` attributes, yet re-parses
    every embedded image and costs as much as the rendering itself; the page
    gets its ``alt`` text from a regular expression instead.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        # nbconvert's HTMLExporter overrides Exporter's notebook-returning signature the same way
        def from_notebook_node(  # type: ignore[override]
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name"))
            if lexer in ("ipython3", "ipython"):
                # Pygments' own Python lexer: the IPython lexer imports IPython
                # (about a second, once per build) to colour %magic lines.
                lexer = "python3"
            # seen as the nbconvert class whose unannotated methods pyproject.toml lists
            exporter: HTMLExporter = self
            resources = exporter._init_resources(resources)
            exporter.register_filter("highlight_code", Highlight2HTML(pygments_lexer=lexer,
                                                                      parent=self))
            exporter.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


def _exporter(hide_code: bool) -> Any:
    """One configured exporter per ``hide_code`` value, built on first use."""
    with _lock:
        if hide_code not in _exporters:
            templates = str(resources.files("nbops.reports") / "templates")
            exporter = _exporter_class()(
                template_name=_TEMPLATE_NAME,
                extra_template_basedirs=[templates],
                # nbops prepares the notebook itself (``prepare``); of nbconvert's
                # default preprocessors only %%magic highlighting does anything
                # here, and each one costs a full nbformat validation.
                default_preprocessors=["nbconvert.preprocessors.HighlightMagicsPreprocessor"],
                embed_images=True,
                exclude_anchor_links=True,
                sanitize_html=True,
                exclude_input=hide_code,
                exclude_input_prompt=hide_code,
                exclude_output_prompt=hide_code,
            )
            exporter.register_filter("clean_html", clean_html)
            # nbconvert's templates compiled once, not once per build
            exporter.environment.bytecode_cache = bytecode_cache("notebook")
            # The lab template's conf.json adds a preprocessor computing Pygments
            # CSS for every page; nbops' template inlines that CSS once (``_css``).
            exporter._preprocessors = [
                p
                for p in exporter._preprocessors
                if type(p).__name__ != "CSSHTMLHeaderPreprocessor"
            ]
            _exporters[hide_code] = exporter
        return _exporters[hide_code]


def failed_cell_index(nb: Any) -> int | None:
    """Index of the first code cell with an error output, if any."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
    return None


def _prefer_text_for_styled_reprs(nb: Any) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            html = data.get("text/html")
            if html is None or "text/plain" not in data:
                continue
            text = html if isinstance(html, str) else "".join(html)
            if any(marker in text for marker in _STYLED_REPR_MARKERS):
                del data["text/html"]


def prepare(nb: Any, page: NotebookPage) -> int | None:
    """Annotate ``nb`` in place for the template; return the failed cell's index.

    Drops Papermill's error marker cells (the banner replaces them), redacts
    secrets, and marks each cell with its index, whether Ploomber injected it
    and whether it failed.
    """
    nb.cells = [c for c in nb.cells if not is_error_banner(c)]
    _prefer_text_for_styled_reprs(nb)
    redact_notebook(nb, secret_replacements(nb, page.params))
    failed = failed_cell_index(nb)
    recorded = page.error.get("cell_index") if page.error else None
    if failed is None and isinstance(recorded, int) and 0 <= recorded < len(nb.cells):
        failed = recorded
    for index, cell in enumerate(nb.cells):
        cell.metadata["nbops_report"] = {
            "index": index,
            "injected": is_injected_parameters(cell),
            "failed": index == failed,
        }
    return failed


def _banner(page: NotebookPage, failed: int | None, nb: Any) -> str:
    if page.status != "failed" and failed is None:
        return ""
    error = dict(page.error or {})
    if failed is not None and not error.get("ename"):
        for out in nb.cells[failed].get("outputs", []):
            if out.get("output_type") == "error":
                error.setdefault("ename", out.get("ename"))
                error.setdefault("evalue", out.get("evalue"))
    what = ": ".join(str(error[k]) for k in ("ename", "evalue") if error.get(k))
    label = None
    if failed is not None:
        count = nb.cells[failed].get("execution_count")
        label = f"In [{count}]" if count else f"cell {failed + 1}"
    return str(macro("notebook_bar.html.j2", "failed")(page.task, label, what))


def _bar(page: NotebookPage) -> str:
    return str(macro("notebook_bar.html.j2", "bar")(page))


def render_notebook(nb: Any, page: NotebookPage) -> str:
    """Render a notebook node (modified in place) to a complete HTML document."""
    failed = prepare(nb, page)
    exporter = _exporter(page.hide_code)
    extra = {
        "nbops": {
            "title": f"{page.task} · {page.run_id}" if page.run_id else page.task,
            "css": _css(),
            "hide_code": False,
            "banner": _bar(page) + _banner(page, failed, nb),
            "toggle_js": "" if page.hide_code else _TOGGLE_JS,  # package-owned script
        }
    }
    with _lock:
        body, _ = exporter.from_notebook_node(nb, resources=extra)
    return _IMG_NO_ALT.sub('<img alt="output figure"', str(body))


def render_notebook_file(source: Path, dest: Path, page: NotebookPage) -> Path:
    """Read ``source`` (.ipynb), render it and write ``dest`` atomically."""
    import nbformat

    from nbops.core import atomic_write_text

    nb = nbformat.read(str(source), as_version=4)
    atomic_write_text(dest, render_notebook(nb, page), durable=False)
    return dest
