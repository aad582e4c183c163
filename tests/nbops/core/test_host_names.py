"""HostCheck (nbops.core._host_names): which Host headers a local server answers (DNS rebinding)."""

from __future__ import annotations

import pytest

from nbops.core import HostCheck


@pytest.mark.parametrize("header", [
    "localhost", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:65535", "[::1]", "[::1]:8000",
    " localhost ", "scoring.internal", "scoring.internal:443"])
def test_loopback_names_the_bound_address_and_allowed_names_are_answered(header: str) -> None:
    assert HostCheck("127.0.0.1", ["Scoring.Internal"]).accepts(header)


@pytest.mark.parametrize("header", [
    None, "", "evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil",
    "[::2]:8000", "0.0.0.0", "[::]", "127.0.0.2", "scoring.internal.evil", "@localhost",
    "localhost:80:80"])
def test_any_other_host_is_refused(header: str | None) -> None:
    check = HostCheck("127.0.0.1", ["scoring.internal"])
    assert not check.accepts(header)
    assert repr(header) in check.refusal(header) and "--allow-host" in check.refusal(header)


def test_the_bound_address_is_answered_but_a_wildcard_bind_adds_no_name() -> None:
    assert HostCheck("192.168.1.5").accepts("192.168.1.5:8000")
    assert not HostCheck("0.0.0.0").accepts("0.0.0.0")
    assert not HostCheck("::").accepts("[::]:80")
    assert HostCheck("::1").accepts("[::1]:80")


def test_the_refusal_names_every_answered_name_and_both_fixes() -> None:
    check = HostCheck("192.168.1.5", ["scoring.internal", " ", "[::]:80"])
    assert check.refusal("evil.example:80") == (
        "Host 'evil.example:80' does not name this server (it answers 127.0.0.1, "
        "192.168.1.5, ::1, localhost, scoring.internal); a web page cannot reach it through "
        "a name it controls. Use one of those names, or start the server with --allow-host "
        "NAME for a name you trust")
    assert check.refusal(None).startswith("Host None does not name this server")
    assert "" not in check.names and "::" not in check.names
