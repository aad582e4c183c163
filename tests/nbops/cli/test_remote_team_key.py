"""``nbops remote set`` sets up the team key outside the repository; ``remote key`` prints it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from nbops.cli.main import main
from nbops.registry import _remote_trust as trust
from nbops.remote import key_id, team_key

URL = "s3://team-bucket/churn"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NBOPS_REMOTE_KEY", raising=False)
    monkeypatch.delenv("NBOPS_REMOTE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "pipeline.yaml").write_text("tasks: []\n")
    return root


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_remote_set_creates_a_private_key_outside_the_project(project, tmp_path, capsys):
    code, out, _ = _run(capsys, "remote", "set", URL, "--project", str(project))
    assert code == 0 and "Team key created in" in out and "nbops remote key" in out
    key = team_key(URL)
    assert key is not None and len(key) >= 32
    files = list((tmp_path / "config" / "nbops" / "remote-keys").glob("*.key"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    for path in project.rglob("*"):  # the committed remote.yaml names the URL, never the key
        assert not path.is_file() or key not in path.read_bytes()
    assert key.decode() not in out  # created, not shown: `nbops remote key` prints it
    code, again, _ = _run(capsys, "remote", "set", URL, "--project", str(project))
    assert code == 0 and "kept in" in again and team_key(URL) == key  # never replaced
    code, printed, _ = _run(capsys, "remote", "key", "--project", str(project))
    assert code == 0 and printed.strip() == key.decode()


def test_a_teammate_stores_the_key_they_were_given(project, capsys):
    given = "a-team-key-handed-over-out-of-band-0123456789"
    code, out, _ = _run(capsys, "remote", "set", URL, "--key", given, "--project", str(project))
    assert code == 0 and "Team key stored in" in out and given not in out
    assert team_key(URL) == given.encode()
    remote_yaml = (project / ".nbops" / "remote.yaml").read_bytes()
    code, _, err = _run(capsys, "remote", "set", "s3://other/x", "--key", "short", "--project",
                        str(project))
    assert code == 1 and "fewer than 32" in err and len(err.strip().splitlines()) == 1
    assert (project / ".nbops" / "remote.yaml").read_bytes() == remote_yaml  # nothing changed


def test_remote_key_without_a_key_says_how_to_get_one(project, capsys):
    (project / ".nbops").mkdir()
    (project / ".nbops" / "remote.yaml").write_text(f"url: {URL}\n")
    code, _, err = _run(capsys, "remote", "key", "--project", str(project))
    assert code == 1 and "has no team key" in err and "NBOPS_REMOTE_KEY" in err


def _registry(versions: int, moves: list[int]) -> dict:
    history, current = [], None
    for to in moves:
        history.append({"alias": "champion", "from": current, "to": to})
        current = to
    return {"schema_version": 1, "models": {"churn": {
        "versions": [{"version": n, "artifact": {"hash": f"h{n}"}} for n in
                     range(1, versions + 1)],
        "history": history, "aliases": {"champion": current} if current else {}}}}


def test_divergence_names_what_the_remote_lost_or_changed():
    sealed = _registry(3, [1, 3])
    assert trust.divergence(sealed, _registry(4, [1, 3, 4])) is None  # it extends: fine
    assert "version 3 is missing there" in trust.divergence(sealed, _registry(2, [1, 2]))
    changed = _registry(3, [1, 3])
    changed["models"]["churn"]["versions"][1]["artifact"]["hash"] = "forged"
    assert "churn version 2 differs" in trust.divergence(sealed, changed)
    assert "ends at move 1 of the 2" in trust.divergence(sealed, _registry(3, [1]))
    assert "move 2 of churn's alias history" in trust.divergence(sealed, _registry(3, [1, 2]))
    assert "model churn is missing there" in trust.divergence(
        sealed, {"schema_version": 1, "models": {}})


def test_a_signature_covers_every_byte_of_the_document(monkeypatch):
    monkeypatch.setenv("NBOPS_REMOTE_KEY", "k" * 40)
    doc = _registry(2, [1, 2])
    data = trust.signed(doc, URL)
    body, signature = trust.split(data, "x")
    trust.check_signature(body, signature, URL, "x")
    assert signature["key_id"] == key_id(b"k" * 40) and "k" * 40 not in data.decode()
    body["models"]["churn"]["versions"][0]["artifact"]["hash"] = "h9"
    with pytest.raises(Exception, match="does not match its content"):
        trust.check_signature(body, signature, URL, "x")
