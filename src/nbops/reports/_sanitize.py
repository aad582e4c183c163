"""Sanitize HTML coming out of notebooks before it reaches a report.

nbconvert's own ``clean_html`` allows so few tags that headings, DataFrame
tables and images come out as escaped text, so reports use this filter
instead: a generous allowlist of presentational tags and attributes, no
scripts, no event handlers, no ``<style>``/``<iframe>``/``<object>``, and
images only from ``data:`` URLs (an offline report must not fetch anything).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_DROP_WITH_CONTENT = re.compile(
    r"<(script|style|iframe|object|embed|template|noscript)\b.*?(</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)

TAGS = frozenset(
    "a abbr b blockquote br caption cite code col colgroup dd del details div dl dt em "
    "figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small "
    "span strong sub summary sup table tbody td tfoot th thead tr u ul var".split()
)
_COMMON = ["class", "id", "title", "lang", "dir", "style"]
ATTRIBUTES = {
    "*": _COMMON,
    "a": [*_COMMON, "href", "name"],
    "img": [*_COMMON, "src", "alt", "width", "height"],
    "td": [*_COMMON, "colspan", "rowspan", "align"],
    "th": [*_COMMON, "colspan", "rowspan", "align", "scope"],
    "col": [*_COMMON, "span", "width"],
    "table": [*_COMMON, "border"],
    "ol": [*_COMMON, "start"],
}


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ATTRIBUTES.get(tag, ATTRIBUTES["*"]):
        return False
    if tag == "img" and name == "src":
        return value.strip().lower().startswith("data:image/")
    if name == "href":
        lowered = value.strip().lower()
        return lowered.startswith(("#", "http://", "https://", "mailto:")) or ":" not in lowered
    return True


@cache
def _cleaner() -> Any:
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.Cleaner(
        tags=TAGS,
        attributes=_allow_attribute,
        protocols=["http", "https", "mailto", "data"],
        strip=True,
        css_sanitizer=CSSSanitizer(),
    )


_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def clean_html(element: Any) -> str:
    """Return ``element`` (str or bytes) as HTML that cannot run code or fetch."""
    text = element.decode() if isinstance(element, bytes) else str(element)
    text = _DROP_WITH_CONTENT.sub("", text)
    return _IMG_WITHOUT_SRC.sub("", str(_cleaner().clean(text)))
