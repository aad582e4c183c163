"""The Jinja2 environment of the report pages: autoescaping on, offline assets inlined.

Templates live in ``nbops/reports/templates/pages/``. Autoescaping is always on, so a
value from a manifest, a notebook or the registry is escaped unless the code passes
it as :class:`markupsafe.Markup` (the output of another template or macro). Filters: ``num``
(rounded number), ``duration``, ``badge`` (status pill), ``when`` (``YYYY-mm-dd HH:MM``),
``href`` (URL-encode a relative path).
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from typing import Any

from markupsafe import Markup


@cache
def environment() -> Any:
    """The shared, cached Environment (templates are compiled once per process, and
    their compiled code is kept between processes: :mod:`nbops.reports._template_cache`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    from nbops.reports._markup import asset, badge, fmt_duration, fmt_number
    from nbops.reports._paths import rel_href
    from nbops.reports._template_cache import bytecode_cache

    env = Environment(loader=PackageLoader("nbops.reports", "templates/pages"),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, bytecode_cache=bytecode_cache("pages"))
    env.filters["num"] = lambda v: Markup(fmt_number(v))
    env.filters["duration"] = fmt_duration
    env.filters["badge"] = lambda v, verdict=False: Markup(badge(v, verdict=verdict))
    env.filters["when"] = lambda v: (str(v or "")[:16].replace("T", " "))
    env.filters["href"] = rel_href
    env.globals["asset"] = lambda name: Markup(asset(name))
    env.filters["tojson_sorted"] = lambda v: json.dumps(v, sort_keys=True, default=str)
    return env


def render(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return str(environment().get_template(name).render(**context))


def render_string(source: str, **context: Any) -> str:
    """Render a small inline template (headers) with the same escaping and filters."""
    return str(_inline_template(source).render(**context))


@lru_cache(maxsize=64)
def _inline_template(source: str) -> Any:
    """An inline template compiled once per process (``from_string`` compiles every call,
    and a build renders the same headers and live banners several times)."""
    return environment().from_string(source)


@cache
def macro(template: str, name: str) -> Any:
    """A macro of ``template`` as a Python callable (its output is Markup).

    Cached: badges and delta cells call it once per table row.
    """
    return getattr(environment().get_template(template).module, name)
