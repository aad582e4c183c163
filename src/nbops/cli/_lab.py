"""``nbops lab``: JupyterLab set up for editing Ploomber steps.

Each step under ``notebooks/`` opens as a notebook with Ploomber's injected
``upstream``/``product`` cell, and saving writes back the clean ``.py`` file.
Two settings make that work with the pinned stack:

* Ploomber's contents manager is synchronous, and derives from whatever
  ``ServerApp.contents_manager_class`` is; jupyter_server's default is the
  asynchronous manager, which makes every contents request fail with HTTP 500
  once jupytext wraps it too. We select the synchronous ``LargeFileManager``.
* The server binds to 127.0.0.1 unless told otherwise, and the
  ``ploomber_extension`` server extension (a cloud-upload button) stays off.
* A double click on a ``.py`` step opens jupytext's notebook view, not a text
  editor: the project's ``.jupyter/`` (written by ``nbops init``/``nbops new``,
  see :mod:`nbops.scaffold._lab_settings`) goes first on ``JUPYTER_CONFIG_PATH``,
  and when the project has no such file nbops' default is used all the same.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

CONTENTS_MANAGER = "jupyter_server.services.contents.largefilemanager.LargeFileManager"


def lab_config_path(cwd: Path) -> str:
    """``JUPYTER_CONFIG_PATH`` for ``nbops lab`` started in ``cwd``.

    The project's ``.jupyter/`` first when it has lab settings, else nbops'
    own copy of the same defaults, so steps open as notebooks either way.
    """
    from nbops.core import locate_pipeline
    from nbops.scaffold import CONFIG_DIR, OVERRIDES, config_path_env, default_config_dir

    located = locate_pipeline(cwd)  # the project root as Ploomber finds it
    root = cwd if located is None else located.root
    if (root / OVERRIDES).is_file():
        return config_path_env(root / CONFIG_DIR)
    return config_path_env(default_config_dir())


def lab_argv(
    ip: str = "127.0.0.1",
    port: int = 8888,
    token: str | None = None,
    open_browser: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The ``jupyter lab`` command line nbops uses."""
    argv = [
        "jupyter",
        "lab",
        f"--ip={ip}",
        f"--port={port}",
        f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}",
        '--ServerApp.jpserver_extensions={"ploomber_extension": False, "nbops.lab": True}',
    ]
    if not open_browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    argv.extend(extra)
    return argv


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--ip", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8888, show_default=True, type=int)
@click.option("--token", default=None, help="Fixed access token (default: a random one).")
@click.option("--browser/--no-browser", default=False, help="Open a web browser.")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
def lab(
    ip: str, port: int, token: str | None, browser: bool, jupyter_args: tuple[str, ...]
) -> None:
    """Start JupyterLab on the project, with Ploomber's cell injection."""
    argv = lab_argv(ip=ip, port=port, token=token, open_browser=browser, extra=jupyter_args)
    executable = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or shutil.which(
        "jupyter"
    )
    if executable is None:
        raise click.ClickException("jupyter is not installed in this environment; run make install")
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")
    os.environ["JUPYTER_CONFIG_PATH"] = lab_config_path(Path.cwd())
    os.execv(executable, [executable, *argv[1:]])


COMMANDS = [lab]
