"""``nbops push`` / ``pull`` / ``runs --remote`` against real servers.

s3:// against SeaweedFS; the round trip and damaged objects also through az://
against Azurite (``remote`` parametrized by scheme). One small build (the ledger
fixture project) per module; each test gets its own bucket (or container
prefix) so tests do not see each other's runs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import BIN, build, env, make_project

pytestmark = [pytest.mark.integration]


def nbops(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run the ``nbops`` CLI in ``root`` with extra environment variables."""
    return subprocess.run([str(BIN / "nbops"), *args], cwd=root, env=env(**extra),
                          capture_output=True, text=True, timeout=180)


def fresh_clone(source: Path, dest: Path) -> Path:
    """The project's committed files only: no .nbops/store, no reports (a teammate's clone)."""
    subprocess.run(["git", "clone", "-q", str(source), str(dest)], check=True)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one finished run (a real ploomber build)."""
    root = make_project(tmp_path_factory.mktemp("remote"))
    build(root)
    return root


@pytest.fixture
def remote(request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh bucket (s3://, or az:// when parametrized); the environment a user would set."""
    if getattr(request, "param", "s3") == "az":
        azurite = request.getfixturevalue("azurite")
        return dict(azurite.env(NBOPS_REMOTE=f"az://{azurite.new_place()}/team"))
    seaweedfs = request.getfixturevalue("seaweedfs")
    return dict(seaweedfs.env(NBOPS_REMOTE=f"s3://{seaweedfs.new_bucket()}/team"))


_DAMAGE_BLOB = """
import sys
from adlfs import AzureBlobFileSystem
fs = AzureBlobFileSystem(skip_instance_cache=True)
if sys.argv[2] == "altered":
    fs.pipe_file(sys.argv[1], b"forged,rows\\n1,2\\n")
else:
    fs.rm_file(sys.argv[1])
"""


def damage_object(request: pytest.FixtureRequest, remote: dict[str, str], key: str,
                  damage: str) -> None:
    """Alter or delete ``key`` (a path under the remote URL) directly on the store."""
    scheme, _, place = remote["NBOPS_REMOTE"].partition("://")
    if scheme == "az":
        done = request.getfixturevalue("azurite").run_python(_DAMAGE_BLOB, f"{place}/{key}",
                                                             damage)
        assert done.returncode == 0, done.stderr
        return
    fs = request.getfixturevalue("seaweedfs").filesystem()
    if damage == "altered":
        fs.pipe_file(f"{place}/{key}", b"forged,rows\n1,2\n")
    else:
        fs.rm_file(f"{place}/{key}")


def push_json(root: Path, remote: dict[str, str], *args: str) -> dict[str, Any]:
    done = nbops(root, "push", "--json", *args, **remote)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("remote", ["s3", "az"], indirect=True)
def test_push_then_pull_in_a_fresh_clone(built: Path, remote: dict[str, str],
                                         tmp_path: Path) -> None:
    first = push_json(built, remote)
    run_id = first["runs_pushed"][0]
    assert first["objects_uploaded"] > 3 and first["bytes_uploaded"] > 0

    again = push_json(built, remote)
    assert again["runs_up_to_date"] == [run_id]
    assert again["objects_uploaded"] == 0 and again["bytes_uploaded"] == 0

    listed = nbops(built, "runs", "--remote", "--json", **remote)
    assert listed.returncode == 0, listed.stderr
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [run_id]

    clone = fresh_clone(built, tmp_path / "clone")
    pulled = nbops(clone, "pull", "--all", "--json", **remote)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["runs_pulled"] == [run_id]
    here = clone / "reports" / "runs" / run_id
    assert (here / "manifest.json").read_bytes() == (
        built / "reports" / "runs" / run_id / "manifest.json").read_bytes()
    html_there = sorted(p.relative_to(built / "reports" / "runs" / run_id).as_posix()
                        for p in (built / "reports" / "runs" / run_id).rglob("*.html"))
    assert html_there and all((here / name).is_file() for name in html_there)
    verified = nbops(clone, "verify", run_id)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    runs = nbops(clone, "runs", "--json")
    assert [r["run_id"] for r in json.loads(runs.stdout)] == [run_id]
    site = (clone / "reports" / "index.html").read_text(encoding="utf-8")
    assert f"runs/{run_id}/index.html" in site  # the report site lists and links the run


def _each_push_refused_in_one_sentence(built: Path, cases: dict[str, tuple[dict[str, str], str]],
                                       secrets: list[str]) -> None:
    """`nbops push` under each case's variables fails with one sentence containing the
    expected words, no traceback and none of ``secrets``."""
    for name, (variables, expected) in cases.items():
        done = nbops(built, "push", **variables)
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        message = done.stderr.strip()
        assert expected in message and len(message.splitlines()) == 1, (name, message)
        assert "Traceback" not in done.stderr
        assert not [s for s in secrets if s in message], message


@pytest.mark.parametrize("remote", ["s3", "az"], indirect=True)
def test_pull_refuses_a_damaged_object(built: Path, remote: dict[str, str],
                                       request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_id = push_json(built, remote)["runs_pushed"][0]
    manifest = json.loads((built / "reports/runs" / run_id / "manifest.json").read_text())
    digest = manifest["tasks"]["make_data"]["products"]["data"]["hash"]
    hexdigest = digest.split(":", 1)[1]
    clone = fresh_clone(built, tmp_path / "clone")
    for damage, word in (("altered", "altered"), ("deleted", "missing")):  # one push, both
        damage_object(request, remote, f"objects/{hexdigest[:2]}/{hexdigest[2:]}", damage)
        pulled = nbops(clone, "pull", run_id, **remote)
        assert pulled.returncode == 1, damage
        message = pulled.stderr.strip()
        assert digest in message and word in message and len(message.splitlines()) == 1
        assert not (clone / "reports" / "runs" / run_id).exists()


def test_bad_remotes_say_one_sentence_and_lose_nothing(built: Path, seaweedfs: Any) -> None:
    runs_before = sorted(p.name for p in (built / "reports" / "runs").iterdir())
    bucket = seaweedfs.new_bucket()
    cases = {
        "unknown scheme": ({"NBOPS_REMOTE": "ftp://host/x"}, "unknown scheme"),
        "missing bucket": (seaweedfs.env(NBOPS_REMOTE="s3://no-such-bucket-here/x"),
                           "does not exist"),
        "wrong credentials": (seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/x",
                                            AWS_SECRET_ACCESS_KEY="wrong"), "credentials"),
        "unreachable": (seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/x",
                                      AWS_ENDPOINT_URL="http://127.0.0.1:9"), "unreachable"),
        "credentials in url": ({"NBOPS_REMOTE": "s3://AKIA:secret@bucket/x"},
                               "carries credentials"),
        # refused before any upload (and before asking for gcsfs), saying why and what to use
        "gs remote": ({"NBOPS_REMOTE": "gs://team-bucket/x"},
                      "no tested conditional writes for gs:// (GCS generation preconditions"),
    }
    _each_push_refused_in_one_sentence(built, cases, ["secret"])
    assert sorted(p.name for p in (built / "reports" / "runs").iterdir()) == runs_before
    assert nbops(built, "verify", "--all").returncode == 0


def test_push_without_a_remote_names_the_fix(built: Path) -> None:
    done = nbops(built, "push")
    assert done.returncode == 1
    assert "nbops remote set" in done.stderr


def test_remote_set_writes_the_committed_file(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    done = nbops(root, "remote", "set", "s3://team-bucket/churn/")
    assert done.returncode == 0, done.stderr
    text = (root / ".nbops" / "remote.yaml").read_text()
    assert "url: s3://team-bucket/churn\n" in text
    repo = Path(__file__).resolve().parents[2]  # this repository's .gitignore keeps it tracked
    ignored = subprocess.run(["git", "check-ignore", "-q", ".nbops/remote.yaml"], cwd=repo)
    assert ignored.returncode == 1
    refused = nbops(root, "remote", "set", "s3://key:secret@bucket/x")
    assert refused.returncode == 1 and "secret" not in refused.stderr
    assert "url: s3://team-bucket/churn\n" in (root / ".nbops" / "remote.yaml").read_text()


def _latest(root: Path) -> str:
    return sorted(p.name for p in (root / "reports" / "runs").iterdir() if p.is_dir())[-1]


def test_auto_push_never_fails_the_build_and_push_catches_up(built: Path,
                                                              seaweedfs: Any) -> None:
    bucket = seaweedfs.new_bucket()
    good = seaweedfs.env(NBOPS_REMOTE=f"s3://{bucket}/team", NBOPS_AUTO_PUSH="1")
    down = {**good, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}

    offline = build(built, **down)  # exits 0 although the remote is down
    missed = _latest(built)
    output = offline.stdout + offline.stderr
    assert f"run {missed} was NOT pushed" in output and "unreachable" in output
    assert nbops(built, "verify", missed).returncode == 0
    listed = nbops(built, "runs", "--remote", "--json", **good)
    assert missed not in listed.stdout

    online = build(built, **good)  # pushes its own run and the one the remote missed
    assert "NOT pushed" not in online.stdout + online.stderr
    listed = nbops(built, "runs", "--remote", "--json", **good)
    ids = [r["run_id"] for r in json.loads(listed.stdout)]
    assert missed in ids and _latest(built) in ids


@pytest.mark.parametrize("remote", ["s3", "az"], indirect=True)
def test_publish_to_a_bucket_prints_a_link_a_reader_opens(built: Path,
                                                          remote: dict[str, str]) -> None:
    import urllib.request

    run_id = _latest(built)
    done = nbops(built, "publish", run_id, "--to", remote["NBOPS_REMOTE"], "--json", **remote)
    assert done.returncode == 0, done.stderr
    published = json.loads(done.stdout)
    assert published["key"] == f"site/runs/{run_id}.html"
    with urllib.request.urlopen(published["link"], timeout=30) as response:  # presigned GET
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.read().decode("utf-8")
    assert run_id in page and 'id="nb-make_data"' in page

    site = nbops(built, "publish", "--site", "--json", **remote)  # the project's remote
    assert site.returncode == 0, site.stderr
    with urllib.request.urlopen(json.loads(site.stdout)["link"], timeout=30) as response:
        assert run_id in response.read().decode("utf-8")


def test_a_mounted_folder_remote_round_trips(built: Path, tmp_path: Path) -> None:
    from nbops.core._project import Project
    from nbops.remote._index import read_index
    from nbops.remote._store import open_remote
    from nbops.sync._pull import pull_runs
    from nbops.sync._push import push_runs

    folder = tmp_path / "mounted"
    folder.mkdir()
    url = f"file://{folder}"
    pushed = push_runs(Project(built), all_runs=True, url=url)
    assert pushed.pushed and pushed.bytes_uploaded > 0
    assert sorted(read_index(open_remote(url))) == sorted(pushed.pushed)
    assert not list(folder.rglob(".tmp-*"))  # every object written whole, then renamed
    clone = fresh_clone(built, tmp_path / "clone")
    pulled = pull_runs(Project(clone), all_runs=True, url=url)
    assert sorted(pulled.pulled) == sorted(pushed.pushed)
    assert nbops(clone, "verify", "--all").returncode == 0


@pytest.mark.slow
def test_bad_az_remotes_say_one_sentence_and_lose_nothing(built: Path, azurite: Any,
                                                          tmp_path: Path) -> None:
    from azurite_server import ACCOUNT_KEY, connection_string, running_azurite

    runs_before = sorted(p.name for p in (built / "reports" / "runs").iterdir())
    with running_azurite(tmp_path / "stopped") as gone:  # started, then stopped below
        stopped = gone.env()
    place = azurite.new_place()
    wrong_key = "V3Jvbmcta2V5LWZvci10aGUtZGV2LWFjY291bnQtb2YtYXp1cml0ZQ=="
    cases = {
        "wrong key": (azurite.env(NBOPS_REMOTE=f"az://{place}/x",
                                  AZURE_STORAGE_CONNECTION_STRING=connection_string(
                                      azurite.endpoint, wrong_key)), "credentials"),
        "missing container": (azurite.env(NBOPS_REMOTE="az://no-such-container/x"),
                              "container of remote az://no-such-container/x does not exist"),
        "server stopped": ({**stopped, "NBOPS_REMOTE": f"az://{place}/x"}, "unreachable"),
        "no account": ({"NBOPS_REMOTE": f"az://{place}/x", "PYTHONPATH": stopped["PYTHONPATH"],
                        "AZURE_STORAGE_CONNECTION_STRING": ""}, "No Azure storage account"),
        "malformed connection string": (
            azurite.env(NBOPS_REMOTE=f"az://{place}/x", AZURE_STORAGE_CONNECTION_STRING=(
                f"AccountKey={wrong_key};nonsense")), "cannot start"),
    }
    _each_push_refused_in_one_sentence(built, cases, [wrong_key, ACCOUNT_KEY])
    assert sorted(p.name for p in (built / "reports" / "runs").iterdir()) == runs_before
    assert nbops(built, "verify", "--all").returncode == 0
