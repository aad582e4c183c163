"""Run ``ploomber build`` in the scratch copy, isolated from the real project.

The build runs in a child process whose working directory is the scratch
project, with nbops' run variables removed (so its ledger records into the
scratch copy, never into the project being reproduced), the run's recorded
whitelisted environment variables (thread counts, hash seed) set again, and
the checkout's own packages (``src/<package>``) first on ``PYTHONPATH`` so
notebooks import the project code of the recorded commit. The installed
nbops does the recording: it is the instrument, not the thing measured.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nbops.adapters import ploomber_command
from nbops.core import (
    DEFAULT_ENV_WHITELIST,
    REDACTED,
    ROOT_ENV,
    RUN_ENV,
    ReproduceError,
    SettingKey,
    build_command,
)

#: Set (to the reproduced run's id) in the scratch build: nbops.hooks then skips the
#: post-close steps (gates, registry, monitoring, pages), whose results would be discarded.
REPRODUCTION_ENV = "NBOPS_REPRODUCTION"
#: Packages of the checkout that are *not* put on the path: the framework itself.
INSTRUMENT_PACKAGES = frozenset({"nbops"})
_LOG_TAIL = 4000


@dataclass(frozen=True)
class BuildResult:
    """How the scratch build went.

    Attributes:
        argv: the command that ran.
        exit_code: its exit status.
        duration_s: wall time.
        log_path: its combined stdout and stderr.
        log_tail: the last few thousand characters of that log.
    """

    argv: list[str]
    exit_code: int
    duration_s: float
    log_path: Path
    log_tail: str


def package_path(checkout_project: Path, shim: Path) -> Path | None:
    """A folder of links to the checkout's ``src/`` packages, minus the instrument.

    Returns ``None`` when the checkout has no ``src/`` folder.
    """
    src = checkout_project / "src"
    if not src.is_dir():
        return None
    shim.mkdir(parents=True, exist_ok=True)
    for entry in sorted(src.iterdir()):
        name = entry.name
        if (
            name in INSTRUMENT_PACKAGES
            or name.endswith((".egg-info", ".dist-info"))
            or name.startswith((".", "__"))
        ):
            continue
        (shim / name).symlink_to(entry, target_is_directory=entry.is_dir())
    return shim


def child_environment(
    recorded_vars: Mapping[str, str],
    python_path: Path | None,
    base: Mapping[str, str] | None = None,
    run_id: str = "unknown",
) -> dict[str, str]:
    """The environment of the scratch build of run ``run_id``.

    The ledger's whitelisted variables (thread counts, hash seed) are set to
    their recorded values, and unset when the run did not have them.
    """
    env = dict(os.environ if base is None else base)
    env[REPRODUCTION_ENV] = run_id
    for name in (RUN_ENV, ROOT_ENV):
        env.pop(name, None)
    for name in DEFAULT_ENV_WHITELIST:  # unset then means unset now (e.g. OMP_NUM_THREADS)
        if name not in recorded_vars:
            env.pop(name, None)
    for name, value in recorded_vars.items():
        if name not in (RUN_ENV, ROOT_ENV) and value != REDACTED:
            env[name] = value
    env["PLOOMBER_STATS_ENABLED"] = "false"
    env["PLOOMBER_VERSION_CHECK_DISABLED"] = "true"
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(python_path), env.get("PYTHONPATH", "")) if p
        )
    return env


def run_build(
    project_dir: Path,
    overrides: Mapping[SettingKey, str],
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None = None,
    pipeline: str = "pipeline.yaml",
    extra_args: Sequence[str] = (),
) -> BuildResult:
    """Run ``ploomber build`` of ``pipeline`` in ``project_dir``, logging to ``log_path``.

    ``overrides``: the env keys to set (``--env--KEY VALUE``, in the order given);
    ``extra_args``: further build options (``--partially TASK``). The command line is
    :func:`nbops.core.build_command`'s, as every build nbops starts.

    Raises:
        ReproduceError: the build did not finish within ``timeout`` seconds.
    """
    argv = build_command(ploomber_command(), entry_point=pipeline, overrides=overrides,
                         extra=extra_args)
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        try:
            done = subprocess.run(
                argv,
                cwd=project_dir,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ReproduceError(
                f"the reproduction build did not finish within {timeout:g} s",
                "pass a larger --timeout, or none",
            ) from None
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return BuildResult(
        argv, done.returncode, round(time.monotonic() - started, 3), log_path, text[-_LOG_TAIL:]
    )
