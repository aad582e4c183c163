"""nbops.core._secrets: the byte pairs that search stored files for secrets, the leaves of a
secret-named value, and ``--name=value`` options whose name is harmless."""

from __future__ import annotations

import json

from nbops.core._secrets import (
    REDACTED,
    redact_argv,
    secret_byte_pairs,
    secret_replacements,
)


def test_byte_pairs_are_the_raw_and_json_forms_longest_first() -> None:
    url = 'postgresql://u:pa"ss@h/db'
    masked = f"postgresql://u:{REDACTED}@h/db"
    pairs = secret_byte_pairs({
        url: masked,
        'pa"ss': REDACTED,
        "abcd": REDACTED,  # exactly MIN_SCRUB_LENGTH: searched for
        "abc": REDACTED,  # shorter: skipped
        f"x{REDACTED}y": "z",  # already redacted: skipped
        "same": "same",  # nothing to replace
    })
    assert pairs == [
        (json.dumps(url)[1:-1].encode(), json.dumps(masked)[1:-1].encode()),
        (url.encode(), masked.encode()),
        (b'pa\\"ss', REDACTED.encode()),
        (b'pa"ss', REDACTED.encode()),
        (b"abcd", REDACTED.encode()),
    ]


def test_a_replacement_with_quotes_keeps_its_last_character_in_json_form() -> None:
    assert secret_byte_pairs({'tok"en': 'said "no"'}) == [
        (b'tok\\"en', b'said \\"no\\"'), (b'tok"en', b'said "no"')]


def test_every_leaf_of_a_secret_named_mapping_is_a_secret() -> None:
    found = secret_replacements({"db_password": {"primary": "hunter22", "spare": ["s3cret!"]}})
    assert found == {"hunter22": REDACTED, "s3cret!": REDACTED}


def test_an_option_named_harmlessly_keeps_a_value_that_looks_like_a_secret_name() -> None:
    assert redact_argv(["--mode=token"]) == ["--mode=token"]
    assert redact_argv(["--api-token=abc"]) == [f"--api-token={REDACTED}"]


def test_a_header_with_only_a_colon_is_masked() -> None:
    from nbops.core._secrets import mask_credentials

    assert mask_credentials("token: abc123") == f"token: {REDACTED}"
