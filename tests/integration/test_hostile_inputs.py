"""Hostile input against a real ledger: forged, edited, corrupt and secret-laden runs.

One real project (the ledger fixture, extended with a database URL carrying a
password and a command-line mirror URL carrying another) is built twice per
module. Each table row copies it, damages or forges one thing the way a
teammate, a script or an attacker could, runs one nbops command in-process and
expects exactly one sentence naming the problem (never a traceback), and that
nothing was written where it must not be.

The attacks are counted at the end of the module (``test_attack_tally``).
"""

from __future__ import annotations

import errno
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import build, make_project

from nbops.contracts._manifest_file import write_manifest

pytestmark = pytest.mark.integration

DB_PASSWORD = "hunter22-db-pass"
MIRROR_PASSWORD = "opensesame-mirror"
TOKEN = "not-a-real-token"
OUTSIDE = "outside-the-project.txt"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """The ledger fixture with credential-carrying values, built twice (run 1 and a no-op run 2)."""
    root = make_project(tmp_path_factory.mktemp("hostile"))
    with open(root / "env.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"db_url: postgresql://analyst:{DB_PASSWORD}@db.internal:5432/prod\n"
                     "mirror_url: none\n")
    pipeline = (root / "pipeline.yaml").read_text()
    pipeline = pipeline.replace("      sleep_s: '{{sleep_s}}'\n",
                                "      sleep_s: '{{sleep_s}}'\n      db_url: '{{db_url}}'\n"
                                "      mirror_url: '{{mirror_url}}'\n", 1)
    (root / "pipeline.yaml").write_text(pipeline)
    notebook = (root / "notebooks" / "make_data.py").read_text()
    notebook = notebook.replace("sleep_s = 0\n", "sleep_s = 0\ndb_url = None\nmirror_url = None\n",
                                1)
    notebook += ('\n# %%\nprint("connecting to", db_url)\nprint("mirror", mirror_url)\n'
                 'print("token", api_token)\n')
    (root / "notebooks" / "make_data.py").write_text(notebook)
    build(root, "--env--mirror_url", f"https://bob:{MIRROR_PASSWORD}@mirror.example/x")
    build(root, "--env--mirror_url", f"https://bob:{MIRROR_PASSWORD}@mirror.example/x")
    return root


def runs_of(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "reports" / "runs").iterdir() if p.is_dir())


def manifest_path(root: Path, index: int = -1) -> Path:
    return root / "reports" / "runs" / runs_of(root)[index] / "manifest.json"


def edit_json(path: Path, change: Callable[[dict[str, Any]], None], reseal: bool) -> None:
    """Change a manifest; ``reseal`` plays an attacker who also recomputes the seal."""
    data = json.loads(path.read_text())
    change(data)
    if reseal:
        write_manifest(path, data)
    else:
        path.write_text(json.dumps(data, indent=2))


def nbops(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the nbops CLI in-process: (exit code, stdout, stderr)."""
    from nbops.cli.main import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_sentence(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    return lines[0]


# ---- mutations -----------------------------------------------------------------------------

def edit_metric(root: Path) -> None:
    edit_json(manifest_path(root), lambda m: m["metrics"].update(accuracy=0.999), reseal=False)


def drop_seal(root: Path) -> None:
    (manifest_path(root).parent / "seal.json").unlink()


def garble_seal(root: Path) -> None:
    (manifest_path(root).parent / "seal.json").write_text("{not json")


def non_utf8(root: Path) -> None:
    path = manifest_path(root)
    path.write_bytes(path.read_bytes().replace(b'"status"', b'"st\xffatus"', 1))


def truncate(root: Path) -> None:
    path = manifest_path(root)
    path.write_bytes(path.read_bytes()[:300])


def forged_status(root: Path) -> None:
    path = manifest_path(root)
    data = json.loads(path.read_text())
    data["status"] = "hacked"
    path.write_text(json.dumps(data))
    from nbops.core._atomic import atomic_write_json
    from nbops.core._hashing import hash_bytes
    atomic_write_json(path.parent / "seal.json",
                      {"schema_version": 1, "manifest_hash": hash_bytes(path.read_bytes()),
                       "written_at": "2026-01-01T00:00:00.000000Z"})


def forge_product(target: str) -> Callable[[Path], None]:
    def forge(root: Path) -> None:
        def change(m: dict[str, Any]) -> None:
            m["tasks"]["make_data"]["products"]["data"]["path"] = target.format(root=root)
        edit_json(manifest_path(root, 0), change, reseal=True)
    return forge


def products_symlink(root: Path) -> None:
    products = root / ".nbops" / "products"
    elsewhere = root.parent / "elsewhere"
    shutil.move(products, elsewhere)
    products.symlink_to(elsewhere, target_is_directory=True)


# ---- the table -----------------------------------------------------------------------------
# (id, mutation, argv (RUN = the damaged run), expected words of the one sentence)
LATEST = "{latest}"
FIRST = "{first}"
ROWS: list[tuple[str, Callable[[Path], None], list[str], str]] = [
    ("edited-metric/show", edit_metric, ["show", LATEST], "was modified outside nbops"),
    ("edited-metric/show-json", edit_metric, ["show", LATEST, "--json"], "cannot be trusted"),
    ("edited-metric/diff", edit_metric, ["diff", FIRST, LATEST], "cannot be trusted"),
    ("edited-metric/checkout", edit_metric, ["checkout", LATEST], "cannot be trusted"),
    ("edited-metric/report", edit_metric, ["report", LATEST], "cannot be trusted"),
    ("edited-metric/publish-html", edit_metric, ["publish", LATEST, "-o", "{tmp}/p.html"],
     "cannot be trusted"),
    ("edited-metric/publish-zip", edit_metric, ["publish", LATEST, "-o", "{tmp}/p.zip"],
     "cannot be trusted"),
    ("edited-metric/reproduce", edit_metric, ["reproduce", LATEST], "cannot be trusted"),
    ("missing-seal/show", drop_seal, ["show", LATEST], "seal.json is missing"),
    ("garbled-seal/checkout", garble_seal, ["checkout", LATEST], "seal.json is not valid JSON"),
    ("non-utf8/show", non_utf8, ["show", LATEST], "is not UTF-8"),
    ("truncated/show", truncate, ["show", LATEST], "is not valid JSON"),
    ("schema-violating-forgery/show", forged_status, ["show", LATEST],
     "does not match the manifest schema"),
    ("forged-path-dotdot/checkout", forge_product(f"../{OUTSIDE}"), ["checkout", FIRST],
     "leaves the products"),
    ("forged-path-absolute/checkout", forge_product("{root}/../" + OUTSIDE), ["checkout", FIRST],
     "not relative to the project"),
    ("forged-path-source-file/checkout", forge_product("notebooks/train.py"),
     ["checkout", FIRST], "does not declare as a product"),
    ("forged-path-git/checkout", forge_product(".git/hooks/post-checkout"),
     ["checkout", FIRST], "leaves the products"),
    ("products-symlink/checkout", products_symlink, ["checkout", FIRST], "symbolic link"),
    ("run-ref-traversal/show", lambda root: None, ["show", "../../etc"], "No run matches"),
]
TALLY: dict[str, bool] = {}


@pytest.fixture
def victim(world: Path, tmp_path: Path) -> Path:
    """A private copy of the built project to damage."""
    root = tmp_path / "project"
    shutil.copytree(world, root, symlinks=True)
    return root


@pytest.mark.parametrize("case", ROWS, ids=[row[0] for row in ROWS])
def test_hostile_run_is_refused_in_one_sentence(victim: Path, tmp_path: Path, capsys,
                                                case) -> None:
    name, mutate, argv, expected = case
    TALLY[name] = False
    runs = runs_of(victim)
    source_before = (victim / "notebooks" / "train.py").read_bytes()
    mutate(victim)
    args = [a.format(latest=runs[-1], first=runs[0], tmp=tmp_path, root=victim) for a in argv]
    code, _, err = nbops(capsys, *args, "--project", str(victim))
    sentence = one_sentence(err)
    assert code == 1 and expected in sentence, sentence
    # nothing was written where a forged manifest pointed
    assert not (victim.parent / OUTSIDE).exists() and not (tmp_path / OUTSIDE).exists()
    assert (victim / "notebooks" / "train.py").read_bytes() == source_before
    assert not (victim / ".git" / "hooks" / "post-checkout").exists()
    assert not (tmp_path / "p.html").exists() and not (tmp_path / "p.zip").exists()
    TALLY[name] = True


def test_an_intact_run_still_checks_out_and_publishes(victim: Path, tmp_path: Path,
                                                       capsys) -> None:
    """The control row: the same commands succeed on an untouched copy."""
    runs = runs_of(victim)
    assert nbops(capsys, "checkout", runs[0], "--project", str(victim))[0] == 0
    assert nbops(capsys, "show", runs[-1], "--project", str(victim))[0] == 0
    code, _, err = nbops(capsys, "publish", runs[-1], "-o", str(tmp_path / "ok.html"),
                         "--project", str(victim))
    assert code == 0, err


def test_verify_all_names_the_corrupt_run_and_checks_every_other(victim: Path, capsys) -> None:
    TALLY["non-utf8/verify-all"] = False
    runs = runs_of(victim)
    non_utf8(victim)
    code, out, err = nbops(capsys, "verify", "--all", "--project", str(victim))
    assert code == 1 and "Traceback" not in err
    assert f"{runs[0]}: OK" in out
    bad = [line for line in out.splitlines() if runs[-1] in line or "manifest:" in line]
    assert any("is not UTF-8" in line for line in bad), out
    TALLY["non-utf8/verify-all"] = True


def test_report_all_refuses_the_edited_run_and_renders_the_others(victim: Path,
                                                                   capsys) -> None:
    TALLY["edited-metric/report-all"] = False
    first, last = runs_of(victim)
    edit_metric(victim)
    page = victim / "reports" / "runs" / first / "index.html"
    page.unlink()
    code, out, err = nbops(capsys, "report", "--all", "--project", str(victim))
    assert code == 1 and "cannot be trusted" in one_sentence(err) and last in err
    assert page.is_file() and first in out
    TALLY["edited-metric/report-all"] = True


def test_gc_refuses_an_unreadable_kept_run_and_deletes_an_old_one(world: Path, victim: Path,
                                                                    tmp_path: Path,
                                                                    capsys) -> None:
    TALLY["non-utf8/gc"] = False
    runs = runs_of(victim)
    non_utf8(victim)  # the newest run: gc --keep 2 must read it
    code, _, err = nbops(capsys, "gc", "--keep", "2", "--project", str(victim))
    assert code == 1 and "unreadable manifest" in one_sentence(err)
    assert runs_of(victim) == runs  # nothing deleted
    # an old corrupt run that is not kept is deleted without being read
    other = tmp_path / "other"
    shutil.copytree(world, other, symlinks=True)
    path = manifest_path(other, 0)
    path.write_bytes(b"\xff" + path.read_bytes())
    code, out, err = nbops(capsys, "gc", "--keep", "1", "--project", str(other))
    assert code == 0, err
    assert runs_of(other) == runs[-1:]
    TALLY["non-utf8/gc"] = True


def test_runs_on_a_full_disk_is_one_sentence(victim: Path, capsys, monkeypatch) -> None:
    TALLY["enospc/runs"] = False
    import nbops.runs._index as index_module

    (victim / "reports" / "runs" / "index.jsonl").unlink()  # listing must rebuild (write) it

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_module.os, "write", full)
    code, _, err = nbops(capsys, "runs", "--project", str(victim))
    sentence = one_sentence(err)
    assert code == 1 and "No space left on device while writing" in sentence
    assert "index.jsonl" in sentence and "nbops gc" in sentence
    TALLY["enospc/runs"] = True


def test_a_damaged_index_line_does_not_hide_runs(victim: Path, capsys) -> None:
    TALLY["non-utf8-index/runs"] = False
    index = victim / "reports" / "runs" / "index.jsonl"
    index.write_bytes(b'{"run_id": "\xff\xfe"}\n' + index.read_bytes())
    code, out, err = nbops(capsys, "runs", "--project", str(victim))
    assert code == 0, err
    assert all(run_id in out for run_id in runs_of(victim))
    TALLY["non-utf8-index/runs"] = True


def test_registry_corruption_and_stray_temp_files(victim: Path, capsys) -> None:
    TALLY["registry-non-utf8/registry"] = TALLY["registry-non-utf8/gc"] = False
    TALLY["registry-temp-file/gc"] = False
    registry = victim / ".nbops" / "registry"
    registry.mkdir(parents=True)
    (registry / ".tmp-abc123-models.json").write_text('{"half": ')  # an interrupted write
    code, _, err = nbops(capsys, "gc", "--keep", "2", "--project", str(victim))
    assert code == 0, err
    TALLY["registry-temp-file/gc"] = True
    (registry / "models.json").write_bytes(b'{"schema_version": 1, "models": {"\xff": {}}}')
    code, _, err = nbops(capsys, "models", "--project", str(victim))
    assert code == 1 and "is corrupt" in one_sentence(err)
    TALLY["registry-non-utf8/registry"] = True
    code, _, err = nbops(capsys, "gc", "--keep", "1", "--project", str(victim))
    assert code == 1 and "models.json" in one_sentence(err)
    TALLY["registry-non-utf8/gc"] = True


def test_gc_leaves_no_broken_links_on_the_site(victim: Path, capsys) -> None:
    TALLY["gc/broken-links"] = False
    first, last = runs_of(victim)
    page = victim / "reports" / "runs" / last / "index.html"
    assert f"{first}/index.html" in page.read_text()  # the no-op run's tasks came from run 1
    code, _, err = nbops(capsys, "gc", "--keep", "1", "--project", str(victim))
    assert code == 0, err
    assert first not in (victim / "reports" / "index.html").read_text()
    assert f"{first}/index.html" not in page.read_text()
    TALLY["gc/broken-links"] = True


def test_a_gc_killed_after_its_first_deletion_leaves_no_false_corruption(victim: Path) -> None:
    """Run folders go before objects: killed there, every remaining run still verifies."""
    import subprocess

    from ledger_helpers import BIN, env

    TALLY["gc/killed-midway"] = False
    objects = sorted((victim / ".nbops" / "store" / "objects").rglob("*"))
    killed = subprocess.run([str(BIN / "nbops"), "gc", "--keep", "1"], cwd=victim,
                            env=env(NBOPS_CRASH_AT="gc.run_folder_removed"),
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert sorted((victim / ".nbops" / "store" / "objects").rglob("*")) == objects
    check = subprocess.run([str(BIN / "nbops"), "verify", "--all"], cwd=victim, env=env(),
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    TALLY["gc/killed-midway"] = True


def test_a_forged_notebook_path_never_renders_a_file_from_outside_the_run(victim: Path,
                                                                         capsys) -> None:
    TALLY["forged-notebook-path/report"] = False
    run = runs_of(victim)[0]
    run_dir = victim / "reports" / "runs" / run
    outside = victim.parent / "private.ipynb"
    outside.write_text((run_dir / "notebooks" / "train.ipynb").read_text()
                       .replace("train_mean", "PRIVATE-MARKER"))
    for page in (run_dir / "html").iterdir():
        page.unlink()

    def change(m: dict[str, Any]) -> None:
        m["tasks"]["train"]["notebook"]["path"] = "../../../../private.ipynb"

    edit_json(run_dir / "manifest.json", change, reseal=True)
    code, _, err = nbops(capsys, "report", run, "--project", str(victim))
    assert code == 0, err
    rendered = "".join(p.read_text() for p in (run_dir / "html").glob("*.html"))
    rendered += (run_dir / "index.html").read_text()
    assert "PRIVATE-MARKER" not in rendered
    assert not (run_dir / "html" / "train.html").exists()
    TALLY["forged-notebook-path/report"] = True


# ---- secrets -------------------------------------------------------------------------------

def _everything_shown(root: Path, tmp: Path, capsys) -> dict[str, str]:
    """Every text a person or a tool can see of the runs: folder files, published exports."""
    seen: dict[str, str] = {}
    for path in (root / "reports").rglob("*"):
        if path.is_file():
            seen[str(path)] = path.read_bytes().decode("utf-8", "replace")
    run = runs_of(root)[0]
    for suffix in ("html", "zip"):
        out = tmp / f"published.{suffix}"
        code, _, err = nbops(capsys, "publish", run, "-o", str(out), "--project", str(root))
        assert code == 0, err
        if suffix == "html":
            seen[str(out)] = out.read_text()
        else:
            with zipfile.ZipFile(out) as archive:
                for name in archive.namelist():
                    seen[f"{out}:{name}"] = archive.read(name).decode("utf-8", "replace")
    code, out_text, err = nbops(capsys, "show", run, "--json", "--project", str(root))
    seen["nbops show --json"] = out_text
    return seen


def test_credentials_in_values_never_reach_what_people_see(world: Path, tmp_path: Path,
                                                            capsys) -> None:
    TALLY["secret-url-in-env.yaml"] = TALLY["secret-url-on-command-line"] = False
    TALLY["secret-printed-by-notebook"] = False
    seen = _everything_shown(world, tmp_path, capsys)
    leaks = {where: secret for where, text in seen.items()
             for secret in (DB_PASSWORD, MIRROR_PASSWORD, TOKEN) if secret in text}
    assert not leaks, leaks
    manifest = json.loads(manifest_path(world, 0).read_text())
    assert manifest["env"]["db_url"] == \
        "postgresql://analyst:***redacted***@db.internal:5432/prod"
    assert manifest["params"]["make_data"]["mirror_url"] == \
        "https://bob:***redacted***@mirror.example/x"
    assert "https://bob:***redacted***@mirror.example/x" in manifest["command"]
    TALLY["secret-url-in-env.yaml"] = TALLY["secret-url-on-command-line"] = True
    # what the notebook printed is replaced in the run folder's copy (the pages read it)
    copy = (manifest_path(world, 0).parent / "notebooks" / "make_data.ipynb").read_text()
    assert "connecting to postgresql://analyst:***redacted***@db.internal:5432/prod" in copy
    assert "token ***redacted***" in copy
    TALLY["secret-printed-by-notebook"] = True


def test_attack_tally() -> None:
    """Every attack above ran and held (run the whole module to see the figure)."""
    held = sum(TALLY.values())
    assert held == len(TALLY), {k: v for k, v in TALLY.items() if not v}
