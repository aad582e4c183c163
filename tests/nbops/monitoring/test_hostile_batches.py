"""Hostile batch files for ``nbops monitor``: each is one sentence, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbops.monitoring._batch_io import read_batch


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# (file name, bytes or None for a folder, words of the sentence)
ROWS = [
    ("latin1.csv", b"tenure,plan\n1,caf\xe9\n", "cannot be read ('utf-8' codec"),
    ("garbage.parquet", b"\x00\x01not parquet at all", "cannot be read"),
    ("truncated.parquet", b"PAR1\x00\x00", "cannot be read"),
    ("binary.csv", b"\x00\xff\xfe\x00" * 50, "cannot be read"),
    ("quotes.csv", b'a,b\n"unterminated,1\n', "cannot be read"),
    ("batch.xlsx", b"PK\x03\x04", "is not .csv or .parquet"),
    ("folder.csv", None, "does not exist"),
    ('"><img src=x onerror=alert(1)>.csv', b"", None),  # a hostile name is only a name
]


@pytest.mark.parametrize("name, data, words", ROWS, ids=[r[0] for r in ROWS])
def test_a_hostile_batch_is_one_sentence(tmp_path: Path, name: str, data: bytes | None,
                                         words: str | None) -> None:
    path = tmp_path / name
    if data is None:
        path.mkdir()
    else:
        _write(path, data)
    frame, problem = read_batch(path)
    if words is None:
        assert problem is None and frame is not None
        return
    assert frame is None and problem is not None
    assert words in problem and "\n" not in problem and problem.endswith(".")
