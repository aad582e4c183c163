"""The team's daily loop on one real S3 remote (SeaweedFS): what it says is true.

One lead project, built once without a remote (its champion churn:1 exists
before the team remote does); every later build reuses all its tasks.

* A registry made before the remote was set reaches the remote with the next
  ``nbops push``: a teammate's fresh clone pulls and scores with churn@champion.
* A passing model the remote's registry did not take fails the build, with one
  sentence that tells "no credentials found" from "credentials refused" from
  "remote unreachable", and changes nothing (remote and local registry as they were).
* nbops' own files (the registry folder, the reports) never make a run look
  made from uncommitted changes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from remote_commands import COMMANDS, commands  # noqa: F401 - the autouse module fixture

from project_files import build_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
REGISTRY = Path(".nbops") / "registry" / "models.json"
ROWS = ("--env--data--rows", "2400")


def _no_aws(**extra: str) -> dict[str, str]:
    """The build environment without any AWS credential (none inherited, none on disk)."""
    env = {k: v for k, v in build_environment().items() if not k.startswith("AWS_")}
    return {**env, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_EC2_METADATA_DISABLED": "true",
            **extra}


def _run(root: Path, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A ``ploomber`` or ``nbops`` command line, forked from the module's warm zygote
    (remote_commands.py: Ploomber and s3fs imported once, not once per command)."""
    return COMMANDS[-1].run(argv, root, env, timeout=600)


def _build(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, [str(BIN / "ploomber"), "build", *ROWS, *args], env)


def _nbops(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(root, [str(BIN / "nbops"), *args], env)


def _latest(root: Path) -> dict[str, Any]:
    runs = sorted(p for p in (root / "reports" / "runs").iterdir() if p.is_dir())
    return json.loads((runs[-1] / "manifest.json").read_text())


@pytest.fixture(scope="module")
def lead(tmp_path_factory: pytest.TempPathFactory, copy_built: Any) -> Path:
    """The lead's project, committed with nbops' .gitignore, champion churn:1, no remote:
    a copy of the session's built reference project (tests/conftest.py: copy_built)."""
    root = copy_built(tmp_path_factory.mktemp("lead") / "project")
    assert json.loads((root / REGISTRY).read_text())["models"]["churn"]["aliases"] == {
        "champion": 1}
    return root


def test_the_registry_made_before_the_remote_reaches_a_teammates_clone(
        lead: Path, seaweedfs: Any, tmp_path: Path) -> None:
    url = f"s3://{seaweedfs.new_bucket()}/team"
    team = _no_aws(**seaweedfs.env(NBOPS_REMOTE=url))
    pushed = _nbops(lead, team, "push", "--all", "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["registry"] == "published"
    again = _nbops(lead, team, "push", "--all", "--json")
    assert json.loads(again.stdout)["registry"] == "shared"

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(lead), str(clone)], check=True)
    assert not (clone / REGISTRY).exists()  # the registry is not committed: only the remote has it
    pulled = _nbops(clone, team, "pull", "--all")
    assert pulled.returncode == 0, pulled.stderr
    scored = _nbops(clone, team, "predict", "churn@champion",
                    str(lead / ".nbops" / "products" / "clean.parquet"), "-o",
                    str(tmp_path / "scored.csv"))
    assert scored.returncode == 0, scored.stderr
    assert "with churn:1" in scored.stdout
    assert (tmp_path / "scored.csv").read_text().count("\n") == 2401


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("case", ["no-credentials", "refused", "unreachable", "no-team-key"])
def test_a_passing_model_the_remote_did_not_take_fails_the_build_in_one_sentence(
        lead: Path, seaweedfs: Any, case: str) -> None:

    from seaweed_server import ACCESS_KEY, SECRET_KEY

    place = seaweedfs.new_bucket()
    url = f"s3://{place}/team"
    endpoint = {"unreachable": f"http://127.0.0.1:{_free_port()}"}.get(case, seaweedfs.endpoint)
    keys = {"no-credentials": {},
            "refused": {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "wrong"},
            "unreachable": {"AWS_ACCESS_KEY_ID": ACCESS_KEY,
                            "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
            "no-team-key": {"AWS_ACCESS_KEY_ID": ACCESS_KEY,
                            "AWS_SECRET_ACCESS_KEY": SECRET_KEY}}[case]
    before = (lead / REGISTRY).read_bytes()
    env = _no_aws(NBOPS_REMOTE=url, AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1",
                  **keys)
    if case == "no-team-key":  # credentials for the bucket, but not the key that signs
        del env["NBOPS_REMOTE_KEY"]
    done = _build(lead, env)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    sentences = {"no-credentials": f"no credentials found for remote {url}",
                 "refused": f"remote {url} refused our credentials",
                 "unreachable": f"remote {url} is unreachable",
                 "no-team-key": f"the registry on remote {url} cannot be changed from this "
                                "machine: it has no team key"}
    failures = [line for line in output.splitlines() if "was not registered" in line]
    assert len(failures) == 1, output[-3000:]
    assert "passed its gates" in failures[0], failures
    assert [k for k, text in sentences.items() if text in failures[0]] == [case], failures
    assert output.count("could not be read") <= 1  # the local-copy warning, once at most
    manifest = _latest(lead)
    assert manifest["status"] == "succeeded"  # the run itself is sound: rebuilding reuses it
    assert manifest["registry"]["registration_error"]["kind"] == case
    assert manifest["provenance"]["git"]["dirty"] is False  # nbops' own files do not count
    assert (lead / REGISTRY).read_bytes() == before
    fs = seaweedfs.filesystem()
    assert not fs.exists(f"{place}/team/registry/models.json")

    if case == "no-credentials":  # the same build with credentials registers, exits 0
        fixed = _build(lead, _no_aws(**seaweedfs.env(NBOPS_REMOTE=url)))
        assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
        assert "0 executed" in fixed.stdout + fixed.stderr  # nothing retrained
        shared = json.loads(fs.cat_file(f"{place}/team/registry/models.json"))
        assert shared["models"]["churn"]["aliases"] == {"champion": 1}


def test_the_leads_runs_are_not_dirty(lead: Path) -> None:
    """Only nbops wrote into the project after its commit: no run says otherwise."""
    done = _build(lead, _no_aws())
    assert done.returncode == 0, done.stderr[-3000:]
    git = _latest(lead)["provenance"]["git"]
    assert git["dirty"] is False and git["untracked"] == [], git
    assert os.path.isdir(lead / ".nbops" / "registry")


def test_a_gated_build_ends_with_one_verdict_block(lead: Path) -> None:
    """Not Ploomber's wrapped exception (`Exception when running on_finish…`, the gate
    list a second time, its community link): the failed gates with values and
    thresholds, the fix, the registry's decision and the run page, then exit 1."""
    before = (lead / REGISTRY).read_bytes()
    done = _build(lead, _no_aws(), "--env--model--label_shuffle_fraction", "1.0")
    assert done.returncode == 1, done.stderr[-3000:]
    output = (done.stdout + done.stderr).replace("\r", "\n")
    for noise in ("Exception when running", "Need help?", "ploomber.io", "Traceback",
                  "QUALITY GATES FAILED", "Executing:"):
        assert noise not in output, (noise, output[-3000:])
    assert "train: 100%|" in output and "evaluate: 100%|" in output  # progress named by task
    manifest = _latest(lead)
    run_id, results = manifest["run_id"], manifest["gates"]["results"]
    failed = [r for r in results if r["verdict"] == "failed"]
    passed = [r["name"] for r in results if r["verdict"] != "failed"]
    assert manifest["status"] == "gated" and failed
    lines = [line for line in output.splitlines() if line.strip()]
    start = lines.index(next(line for line in lines if line.startswith(f"nbops: run {run_id}")))
    block = lines[start:]
    assert block[0].startswith(f"nbops: run {run_id} gated (")
    gates_at = block.index(f"gates: failed ({len(failed)} of {len(results)} failed)")
    expected = [f"  x {r['name']}: {r['detail']}" for r in failed]
    assert block[gates_at + 1:gates_at + 1 + len(failed)] == expected
    for line, result in zip(expected, failed, strict=True):  # each with value and threshold
        assert " needs " in line and None not in (result["value"], result["threshold"]), line
    rest = block[gates_at + 1 + len(failed):]
    assert rest == [
        f"  ({len(passed)} passed: {', '.join(passed)})",
        "  fix: improve the model, or adjust the thresholds under gates: in env.yaml if they "
        "are wrong",
        f"  gates on the run page: reports/runs/{run_id}/index.html#gates",
        "registry: not registered: quality gates failed; champion unchanged (version 1)",
        f"run page: reports/runs/{run_id}/index.html",
    ]
    for result in results:  # each gate named once in the whole output
        assert len(re.findall(rf"\b{re.escape(result['name'])}\b", output)) == 1, result["name"]
    assert (lead / REGISTRY).read_bytes() == before


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_served_model_follows_a_promotion_made_on_another_clone(
        lead: Path, seaweedfs: Any, tmp_path: Path, record_property: Any) -> None:
    """The service watched only its own copy of the registry: a promotion made on the
    lead's clone was served only after someone ran nbops on the serving machine."""
    import time

    import httpx

    url = f"s3://{seaweedfs.new_bucket()}/team"
    team = _no_aws(**seaweedfs.env(NBOPS_REMOTE=url))
    assert _nbops(lead, team, "push", "--all").returncode == 0  # the registry, churn:1
    serving = tmp_path / "serving"
    subprocess.run(["git", "clone", "-q", str(lead), str(serving)], check=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    poll = 0.5  # ten polls of idle CPU and the wait for the promotion scale with it
    with open(log, "w") as stderr:
        server = subprocess.Popen(
            [str(BIN / "nbops"), "serve-model", "churn@champion", "--port", str(port),
             "--no-log", "--remote-poll", str(poll)], cwd=serving, env=team,
            stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(f"{base}/healthz").json()["version"] == 1

        # the cost of watching: CPU of the idle service over 10 polls
        cpu, wall = _cpu_seconds(server.pid), time.monotonic()
        time.sleep(10 * poll)
        idle_cpu = (_cpu_seconds(server.pid) - cpu) / ((time.monotonic() - wall) / poll)

        # the lead trains churn:2 (a challenger), shares it, then promotes it by hand
        built = _build(lead, team, "--env--seed", "8", "--env--registry--promotion", "manual")
        assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
        assert _nbops(lead, team, "push").returncode == 0
        assert httpx.get(f"{base}/healthz").json()["version"] == 1  # a challenger is not served
        started = time.monotonic()  # the promote command writes the remote registry first
        promoted = _nbops(lead, team, "promote", "churn", "2", "--reason", "looks better")
        assert promoted.returncode == 0, promoted.stderr
        promoted_in = time.monotonic() - started
        while httpx.get(f"{base}/healthz").json()["version"] != 2:
            assert time.monotonic() - started < poll + 30, log.read_text()
            time.sleep(0.05)
        followed = time.monotonic() - started
        record_property("followed_s", round(followed, 2))  # from the start of `nbops promote`
        record_property("promote_command_s", round(promoted_in, 2))
        record_property("idle_cpu_ms_per_poll", round(idle_cpu * 1000, 1))
        assert idle_cpu < 0.1  # reading a few KB per poll, parsing only on change
        record = {"customer_id": "C1", "tenure_months": 3, "monthly_charges": 70.0}
        answer = httpx.post(f"{base}/predict", json=record)
        assert answer.json().get("version") == 2, answer.text
        metrics = httpx.get(f"{base}/metrics").text
        assert 'nbops_model_version{model="churn"} 2.0' in metrics
        polls = next(line for line in metrics.splitlines()
                     if line.startswith("nbops_registry_remote_polls "))
        assert float(polls.split()[1]) >= 10
        assert "nbops_registry_remote_changes 2.0" in metrics  # registered, then promoted
    finally:
        server.terminate()
        server.wait(30)
    text = log.read_text()
    assert f"following the registry on {url} every {poll:g} s" in text
    assert "churn:2 now answers (was churn:1)" in text


def test_reproducing_a_monitoring_run_restores_the_champion_it_scored_with(lead: Path) -> None:
    """It said "diverged … no model named 'churn' in the registry": the reproduction's
    scratch copy had no registry. After a promotion it must not score with today's
    champion either."""
    local = _no_aws()
    models = json.loads((lead / REGISTRY).read_text())["models"]["churn"]
    if len(models["versions"]) < 2:  # a second version to promote after the monitoring run
        built = _build(lead, local, "--env--seed", "8", "--env--registry--promotion", "manual")
        assert built.returncode == 0, built.stderr[-3000:]
        models = json.loads((lead / REGISTRY).read_text())["models"]["churn"]
    read = models["aliases"]["champion"]
    monitored = _run(lead, [str(BIN / "ploomber"), "build", "-e", "pipeline.monitor.yaml"],
                     local)
    assert monitored.returncode == 0, monitored.stderr[-3000:]
    run = _latest(lead)
    assert run["monitoring"]["champion"] == {"model": "churn", "version": read}
    other = next(v["version"] for v in models["versions"] if v["version"] != read)
    moved = _nbops(lead, local, "promote", "churn", str(other), "--reason", "after the run")
    assert moved.returncode == 0, moved.stderr
    before = (lead / REGISTRY).read_bytes()

    done = _nbops(lead, local, "reproduce", run["run_id"], "--json")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    result = json.loads(done.stdout)
    assert result["verdict"] == "reproduced", result["tasks"]
    assert f"churn@champion restored to version {read}, the version the run read" in \
        result["warnings"]
    assert (lead / REGISTRY).read_bytes() == before  # the project's registry is untouched


def test_tags_and_notes_are_shown_searchable_and_sealed(lead: Path) -> None:
    local = _no_aws()
    run_id = _latest(lead)["run_id"]
    tagged = _nbops(lead, local, "tag", run_id, "reviewed=true", "owner=ana", "max_auc=0.9")
    assert tagged.returncode == 0, tagged.stderr
    noted = _nbops(lead, local, "note", run_id, "label leak <b>fixed</b> in ingest")
    assert noted.returncode == 0, noted.stderr
    manifest = json.loads((lead / "reports" / "runs" / run_id / "manifest.json").read_text())
    assert {"reviewed": True, "owner": "ana", "max_auc": 0.9}.items() <= \
        manifest["tags"].items()
    assert manifest["notes"]["items"][-1]["text"] == "label leak <b>fixed</b> in ingest"
    assert _nbops(lead, local, "verify", run_id).returncode == 0  # sealed again, intact
    found = _nbops(lead, local, "runs", "--json", "--where",
                   'tags.reviewed == true and "leak" in notes and tags.max_auc > 0.85')
    assert found.returncode == 0, found.stderr
    assert [r["run_id"] for r in json.loads(found.stdout)] == [run_id]
    page = (lead / "reports" / "runs" / run_id / "index.html").read_text()
    assert "owner=ana" in page and "label leak &lt;b&gt;fixed&lt;/b&gt; in ingest" in page
    for argv, words in ((("tag", run_id, "novalue"), "has no '='"),
                        (("tag", run_id, "api_token=x"), "has a tag named 'api_token'"),
                        (("note", run_id, "x" * 2001), "a note must have 1 to 2000")):
        bad = _nbops(lead, local, *argv)
        assert bad.returncode != 0 and words in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr
    after = json.loads((lead / "reports" / "runs" / run_id / "manifest.json").read_text())
    assert after == manifest  # bad input changed nothing


def test_apply_writes_a_past_runs_parameters_keeping_comments_diff_first(lead: Path) -> None:
    local = _no_aws()
    first = sorted(p.name for p in (lead / "reports" / "runs").iterdir() if p.is_dir())[0]
    env_yaml = lead / "env.yaml"
    original = env_yaml.read_text()
    assert "  max_iter: 100\n" in original
    edited = original.replace("  max_iter: 100\n", "  max_iter: 7   # tried something\n")
    env_yaml.write_text(edited)
    try:
        shown = _nbops(lead, local, "apply", first, "--dry-run")
        assert shown.returncode == 0, shown.stderr
        changed = [line for line in shown.stdout.splitlines()
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        assert [re.sub(r" +", " ", line) for line in changed] == [
            "- rows: 20000 # rows the embedded generator makes (ignored when path is set)",
            "+ rows: 2400 # rows the embedded generator makes (ignored when path is set)",
            "- max_iter: 7 # tried something", "+ max_iter: 100 # tried something"], changed
        assert env_yaml.read_text() == edited  # a dry run writes nothing
        declined = _run(lead, [str(BIN / "nbops"), "apply", first], local)  # no one to ask
        assert declined.returncode != 0 and "pass --yes" in declined.stderr, declined.stderr
        assert env_yaml.read_text() == edited
        done = _nbops(lead, local, "apply", first, "--yes")
        assert done.returncode == 0, done.stderr
        after = env_yaml.read_text().splitlines()
        before = edited.splitlines()
        assert len(after) == len(before)  # every comment and every other line kept as is
        differ = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert [b.split("#")[0].strip() for _, b in differ] == ["rows: 2400", "max_iter: 100"]
        assert all(a.index("#") == b.index("#") for a, b in differ)  # comments stay put
        again = _nbops(lead, local, "apply", first, "--yes")
        assert "already holds run" in again.stdout
        bad = _nbops(lead, local, "apply", "no-such-run")
        assert bad.returncode != 0 and "no-such-run" in bad.stderr
        assert "Traceback" not in bad.stderr
    finally:
        env_yaml.write_text(original)
