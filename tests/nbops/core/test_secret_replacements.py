"""What counts as a secret inside values, and how it is replaced: exact outputs."""

from __future__ import annotations

from nbops.core._secrets import (
    REDACTED,
    mask_credentials,
    redact,
    scrub,
    secret_replacements,
)


def test_credentials_inside_values_map_to_their_masked_forms() -> None:
    url = "postgresql://ana:hunter22@db.internal/prod"
    found = secret_replacements({"where": url, "opts": ["token=abc123xyz", "plain=1"],
                                 "api_key": 12345678, "nested": {"password": ["p4ssw0rd!"]}})
    assert found == {
        url: f"postgresql://ana:{REDACTED}@db.internal/prod", "hunter22": REDACTED,
        "token=abc123xyz": f"token={REDACTED}", "abc123xyz": REDACTED,
        "12345678": REDACTED, "p4ssw0rd!": REDACTED,
    }
    assert secret_replacements("nothing to hide: level=1") == {}
    assert secret_replacements({"password": None, "secret": ""}) == {}


def test_longer_secrets_are_replaced_first() -> None:
    url = "https://ana:apass123@example.org/x"  # the password sorts before the URL
    text = f"connect {url} (password apass123)"
    assert scrub(text, {"apass123": REDACTED, url: "URL"}) == f"connect URL (password {REDACTED})"
    assert scrub(text, {"abc": "SHORT"}) == text  # shorter than MIN_SCRUB_LENGTH: left alone
    assert scrub({"k": [text]}, {url: "URL"}) == {"k": ["connect URL (password apass123)"]}


def test_masking_needs_a_credential_shape() -> None:
    assert mask_credentials("plain text") == "plain text"
    assert mask_credentials(42) == 42  # type: ignore[arg-type]
    assert mask_credentials("token=abc123xyz") == f"token={REDACTED}"
    assert mask_credentials("user:pass@host") == "user:pass@host"  # not a URL
    assert redact({"x": ["s3://k:v@b/p"], "token": "t"}) == {"x": [f"s3://k:{REDACTED}@b/p"],
                                                            "token": REDACTED}
