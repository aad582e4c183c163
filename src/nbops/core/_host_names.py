"""Which ``Host`` headers a local server answers: its defence against DNS rebinding.

A web page on ``evil.example`` can have its name re-resolved to 127.0.0.1 and
then read (and post to) a server on this machine, with the browser believing
it talks to ``evil.example``: the one thing it cannot change is the ``Host``
header, which still names ``evil.example``.  ``nbops serve`` and ``nbops
serve-model`` therefore answer only requests whose ``Host`` names this
machine's loopback (``localhost``, ``127.0.0.1``, ``::1``), the address they
are bound to, or a name the user allowed (``--allow-host``).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Names and addresses that only ever mean this machine.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _name(host: str) -> str:
    """``host`` (a Host header, or an address) without its port, brackets or case."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal: [::1]:8000
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


class HostCheck:
    """The ``Host`` header names a server answers (loopback, its address, allowed names)."""

    def __init__(self, bound: str, allowed: Iterable[str] = ()) -> None:
        self.names = frozenset(_name(h) for h in (*LOOPBACK_NAMES, bound, *allowed)
                               if _name(h) and _name(h) not in ("0.0.0.0", "::"))

    def accepts(self, header: str | None) -> bool:
        """True when ``header`` (the request's Host, None if absent) names this server."""
        return header is not None and _name(header) in self.names

    def refusal(self, header: str | None) -> str:
        """One sentence saying why a request with ``header`` is refused and what to do."""
        return (f"Host {header!r} does not name this server (it answers "
                f"{', '.join(sorted(self.names))}); a web page cannot reach it through a name "
                "it controls. Use one of those names, or start the server with "
                "--allow-host NAME for a name you trust")
