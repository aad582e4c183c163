"""Small HTML building blocks shared by the run page and the site.

Every value that came from a user (task names, parameters, metric names,
notebook metadata, error messages) goes through :func:`esc` before it reaches
a page; the helpers here only ever concatenate escaped text with fixed markup.
Pages link nothing external: CSS and scripts are inlined from the package.
"""

from __future__ import annotations

import html
import math
import re
from functools import cache
from importlib import resources
from typing import Any

STATUS_LABELS = {
    "succeeded": "succeeded",
    "failed": "failed",
    "gated": "gated",
    "interrupted": "interrupted",
    "running": "running",
    "closing": "closing",
    "executed": "executed",
    "skipped": "reused",
    "not_run": "not run",
    "waiting": "waiting",
}
# Verdict words other features use (gates, registry), coloured like statuses.
_BADGE_CSS = {"passed": "passed", "pass": "passed", "promoted": "promoted", "ok": "succeeded",
              "warn": "gated", "warning": "gated", "alert": "failed", "error": "failed",
              "fail": "failed", "reproduced": "succeeded", "identical": "succeeded",
              "diverged": "failed"}


def esc(value: Any) -> str:
    """Escape any value for HTML text or a double- or single-quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


def safe_href(url: Any) -> str:
    """``url`` escaped for an ``href``, or ``#`` when it could run code.

    Only relative links and http(s)/mailto URLs pass: ``javascript:``,
    ``data:``, ``vbscript:`` … (also with a tab inside the word, or leading
    spaces, which browsers ignore) never reach a page from a manifest value.
    """
    text = str(url or "")
    match = _SCHEME.match(_IGNORED_IN_URLS.sub("", text))
    if match and match.group(1).lower() not in ("http", "https", "mailto"):
        return "#"
    return esc(text)


@cache
def asset(name: str) -> str:
    """Return the text of a file shipped in ``nbops/reports/static``."""
    return (resources.files("nbops.reports") / "static" / name).read_text(encoding="utf-8")


def badge(status: str | None, *, verdict: bool = False) -> str:
    """A coloured status pill; unknown statuses are shown escaped and grey.

    Args:
        status: a run or task status, or (with ``verdict``) a verdict word.
        verdict: show the word as is (a *skipped gate* is not a *reused task*).
    """
    raw = status or "unknown"
    label = raw if verdict else STATUS_LABELS.get(raw, raw)
    css = raw if raw in STATUS_LABELS else _BADGE_CSS.get(raw, "not_run")
    from nbops.reports._templates_env import macro

    return str(macro("markup.html.j2", "badge")(raw, label, css))


def fmt_number(value: Any) -> str:
    """Format a metric value compactly (4 significant decimals, ints as ints)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return esc(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value) or math.isinf(value):
        return esc(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def fmt_duration(seconds: Any) -> str:
    """Human duration: ``0.42 s``, ``12.3 s``, ``4 min 05 s``."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def page(title: str, body: str, *, header: str = "", script: str = "", css: str = "",
         head: str = "") -> str:
    """A complete HTML document with the report stylesheet inlined.

    Args:
        title: plain text title (escaped here).
        body: already-safe HTML for ``<main>``.
        header: already-safe HTML for the top bar.
        script: inline JavaScript (package-owned, never user text).
        css: more package-owned CSS.
        head: already-safe markup for ``<head>`` (a live page's refresh).
    """
    from markupsafe import Markup

    from nbops.reports._templates_env import render

    return render("page.html.j2", title=title, body=Markup(body), header=Markup(header),
                  script=Markup(script), css=Markup(css), head=Markup(head))
