"""nbops as a user installs it, outside the repository (imported as ``packaging_smoke``).

* :func:`build_dist`: ``uv build`` as a release does it (the sdist, then the wheel from it);
  :func:`shared_dist`: that build, once per test session for every packaging module.
* :func:`find_python`: a working interpreter of a version (PATH, then ~/.pyenv/versions;
  a pyenv shim that refuses does not count).
* :func:`lowest_environment`: a virtual environment at the lowest versions pyproject.toml
  allows (uv's ``--resolution lowest-direct``), created once under ``.cache/packaging/``
  and keyed by a hash of pyproject.toml's dependencies, so a re-run only reinstalls the
  wheel.
* :class:`UserShell` and the smoke steps a new user takes: ``nbops new demo && ploomber
  build``, ``nbops init`` on a plain Ploomber project + ``ploomber build``, ``nbops
  predict``; the builds run with an audit hook that records any connection that is not
  to this machine (nothing may call home).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")
CACHE = ROOT / ".cache" / "packaging"
FIXTURE_PROJECT = ROOT / "tests" / "fixtures" / "ploomber_notebooks"
SAY_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"

# sitecustomize for the builds: every process (ploomber, kernels) records each connection
# attempt to a host other than this machine in $NBOPS_TEST_NETWORK_LOG.
NETWORK_GUARD = '''\
import os, sys

def _nbops_network_guard(event, args):
    if event not in ("socket.connect", "socket.getaddrinfo"):
        return
    address = args[1] if event == "socket.connect" else args
    host = address[0] if isinstance(address, tuple) and address else None
    if not isinstance(host, (str, bytes)) or not host:
        return  # a unix socket path, or no host
    host = host.decode() if isinstance(host, bytes) else host
    if host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith("127."):
        return
    with open(os.environ["NBOPS_TEST_NETWORK_LOG"], "a") as log:
        log.write(f"{os.getpid()} {event} {host} {' '.join(sys.argv)[:200]}\\n")

sys.addaudithook(_nbops_network_guard)
'''


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def build_dist(out: Path) -> dict[str, Path]:
    """``uv build`` of the repository into ``out``: {"sdist": …, "wheel": …}."""
    done = run([str(UV), "build", "--quiet", "-o", str(out), str(ROOT)], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (sdist,) = out.glob("nbops-*.tar.gz")
    (wheel,) = out.glob("nbops-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def shared_dist(shared: Path) -> dict[str, Path]:
    """:func:`build_dist` once per test session, in ``shared`` (a folder every test process
    of the session sees: project_files.session_folder); the modules that install or inspect
    the wheel and the sdist all get these same two files."""
    from project_files import locked

    out = shared / "nbops-dist"
    with locked(shared / "nbops-dist.lock"):
        if not (out / ".complete").is_file():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            built = build_dist(out)
            (out / ".complete").write_text(" ".join(p.name for p in built.values()))
    (sdist,) = out.glob("nbops-*.tar.gz")
    (wheel,) = out.glob("nbops-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def find_python(version: str) -> str | None:
    """A working interpreter of ``version`` (``3.12``), or None."""
    candidates = [shutil.which(f"python{version}")]
    pattern = os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")
    candidates += sorted(glob.glob(pattern), reverse=True)
    if sys.version_info[:2] == tuple(int(p) for p in version.split(".")):
        candidates.insert(0, getattr(sys, "_base_executable", sys.executable))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = run([candidate, "-c", SAY_VERSION], timeout=30)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    return None


def install(venv: Path, *requirements: str, python: str | None = None) -> None:
    """Create ``venv`` (when ``python`` is given) and install into it with uv."""
    if python is not None:
        made = run([str(UV), "venv", "--quiet", "--python", python, str(venv)], timeout=300)
        assert made.returncode == 0, made.stderr[-3000:]
    done = run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                *requirements], timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def floors() -> dict[str, str]:
    """Each runtime dependency's lower bound in pyproject.toml, by normalized name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = {}
    for requirement in project["dependencies"]:
        name, _, rest = requirement.partition(">=")
        bounds[normalized(name)] = rest.split(",")[0].strip()
    return bounds


def normalized(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def lowest_environment(python: str, wheel: Path) -> Path:
    """A venv holding pyproject.toml's lowest allowed versions and this ``wheel``.

    The dependencies are resolved (``uv pip compile --resolution lowest-direct``) and
    installed once per dependency list of pyproject.toml (its hash names the folder; older
    folders are removed); each call reinstalls only the wheel, without dependencies.
    """
    version = run([python, "-c", SAY_VERSION], timeout=30).stdout.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    what = [project["dependencies"], project["requires-python"], version]  # nothing else counts
    key = hashlib.sha256(json.dumps(what).encode()).hexdigest()[:12]
    venv = CACHE / f"lowest-py{version}-{key}"
    with _locked(CACHE / f"lowest-py{version}.lock"):
        if not (venv / ".complete").is_file():
            for old in CACHE.glob(f"lowest-py{version}-*"):
                if old.is_dir():
                    shutil.rmtree(old)
                else:
                    old.unlink()
            pins = CACHE / f"lowest-py{version}-{key}.txt"
            resolved = run([str(UV), "pip", "compile", "--quiet", "--resolution",
                            "lowest-direct", "--python-version", version,
                            str(ROOT / "pyproject.toml"), "-o", str(pins)], timeout=600)
            assert resolved.returncode == 0, resolved.stderr[-3000:]
            install(venv, "-r", str(pins), python=python)
            (venv / ".complete").write_text(key)
        install(venv, "--no-deps", "--reinstall", str(wheel))
    return venv


class UserShell:
    """Commands run as in a user's shell with only ``venv`` on PATH (nothing of the
    repository's, no CI variable, no Ploomber setting), in ``cwd``."""

    def __init__(self, venv: Path, home: Path) -> None:
        self.venv = venv
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("NBOPS_", "VIRTUAL_ENV", "PYTHON", "UV_", "JUPYTER",
                                         "PLOOMBER_"))
                    and k not in {"CI", "READTHEDOCS"}}
        self.env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
        self.env["VIRTUAL_ENV"] = str(venv)
        guard = home / "network-guard"
        guard.mkdir(parents=True, exist_ok=True)
        (guard / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
        self.network_log = home / "network.log"
        self.guarded = {**self.env, "PYTHONPATH": str(guard),
                        "NBOPS_TEST_NETWORK_LOG": str(self.network_log)}

    def __call__(self, *argv: str, cwd: Path, guarded: bool = False,
                 timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return run(list(argv), cwd=cwd, env=self.guarded if guarded else self.env,
                   timeout=timeout)

    def calls_out(self) -> list[str]:
        """Connections to other machines recorded so far by guarded commands."""
        if not self.network_log.is_file():
            return []
        return self.network_log.read_text(encoding="utf-8").splitlines()

    def site_packages(self) -> Path:
        out = self("python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=self.venv)
        return Path(out.stdout.strip())


def new_project_builds(shell: UserShell, where: Path) -> tuple[Path, dict]:
    """``nbops new demo && cd demo && ploomber build``: the project and its run's manifest."""
    new = shell("nbops", "new", "demo", cwd=where)
    assert new.returncode == 0, new.stderr
    project = where / "demo"
    build = shell("ploomber", "build", cwd=project, guarded=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    shown = shell("nbops", "show", "latest", "--json", cwd=project)
    assert shown.returncode == 0, shown.stderr
    return project, json.loads(shown.stdout)


def check_new_project_run(manifest: dict, project: Path) -> None:
    assert manifest["status"] == "succeeded"
    assert {t["status"] for t in manifest["tasks"].values()} == {"executed"}
    assert manifest["gates"]["verdict"] == "passed"
    assert {r["name"] for r in manifest["gates"]["results"]} >= {"min_roc_auc", "calibrated"}
    assert manifest["registry"]["model"] == "demo" and manifest["registry"]["version"] == 1
    assert (project / "reports" / "index.html").is_file()
    assert (project / "reports" / "runs" / manifest["run_id"] / "index.html").is_file()


def init_project_builds(shell: UserShell, where: Path) -> Path:
    """A plain Ploomber project (tests/fixtures/ploomber_notebooks): ``nbops init``,
    ``ploomber build``, ``nbops verify latest``. Returns the project."""
    project = where / "plain"
    shutil.copytree(FIXTURE_PROJECT, project)
    init = shell("nbops", "init", cwd=project)
    assert init.returncode == 0, init.stderr
    build = shell("ploomber", "build", cwd=project, guarded=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    verify = shell("nbops", "verify", "latest", cwd=project)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return project


MODEL_CARD = """owner: the smoke test (packaging)
intended_use: checking that a freshly installed nbops builds, registers and serves a model
out_of_scope_uses: [any decision about real customers]
limitations: [trained on the demo's generated data only]
"""


def predict_scores(shell: UserShell, project: Path) -> tuple[list[str], int]:
    """The demo's version 1 reaches ``@champion`` as a user gets it there (a new project
    requires a model card: promotion is refused until model_card.yaml is written), then
    ``nbops predict demo@champion`` on the demo's own raw data: (header, data rows)."""
    promote = ("nbops", "promote", "demo", "1", "--reason", "first model")
    refused = shell(*promote, cwd=project)
    assert refused.returncode != 0 and "model_card.yaml" in refused.stdout + refused.stderr, (
        refused.stdout + refused.stderr)
    (project / "model_card.yaml").write_text(MODEL_CARD, encoding="utf-8")
    promoted = shell(*promote, cwd=project)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    scored = project / "scored.csv"
    done = shell("nbops", "predict", "demo@champion", ".nbops/products/raw.parquet",
                 "-o", str(scored), cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = scored.read_text(encoding="utf-8").splitlines()
    return lines[0].split(","), len(lines) - 1
