"""Which remote a project uses: ``.nbops/remote.yaml`` (committed), or ``$NBOPS_REMOTE``.

The file holds one key, ``url``. It is set once (``nbops remote set URL``, or
``nbops init --remote URL``) and committed, so every clone and CI machine
pushes to the same place; ``NBOPS_REMOTE`` overrides it for one shell or job.

Only the *location* is recorded. Endpoint and credentials come from the
standard variables and profiles of each store (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``GOOGLE_APPLICATION_CREDENTIALS`` …)
and are never written anywhere: a URL carrying credentials is refused, and
every URL shown to people goes through :func:`redact_url`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from nbops.core import ConfigError, Project, RemoteError, atomic_write_text, load_mapping

REMOTE_ENV = "NBOPS_REMOTE"
REMOTE_RELPATH = Path(".nbops") / "remote.yaml"
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)


def remote_file(project: Project) -> Path:
    """``.nbops/remote.yaml`` of ``project``."""
    return project.root / REMOTE_RELPATH


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` part replaced by ``***@`` (for messages and logs)."""
    return _USERINFO.sub(r"\1***@", url)


def check_url(url: str) -> str:
    """Normalise and validate a remote URL (``s3://bucket/prefix``, ``file:///path`` …).

    Raises:
        ConfigError: empty, carrying credentials, or with a scheme nbops does not know.
    """
    url = url.strip()
    if not url:
        raise ConfigError("The remote URL is empty",
                          "give a URL such as s3://bucket/prefix or file:///mnt/team/nbops")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    # the backends (one class per kind of store) know their schemes; imported here, as
    # they import this module
    from nbops.remote._backends import BACKENDS, backend_for

    if backend_for(scheme) is None:
        examples = [backend.example for backend in BACKENDS]
        raise ConfigError(
            f"The remote URL {redact_url(url)!r} has "
            + (f"the unknown scheme {scheme + '://'!r}" if scheme else "no scheme"),
            "use " + ", ".join(examples[:-1]) + " or " + examples[-1],
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"The remote URL {redact_url(url)!r} carries credentials",
            "remove them from the URL and set them the store's usual way "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE for s3://); nbops "
            "never records credentials",
        )
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ConfigError(f"The remote URL {url!r} is not an absolute file:// URL",
                              "write file:///absolute/path/to/folder (three slashes)")
    elif not parts.netloc:
        raise ConfigError(f"The remote URL {url!r} names no bucket",
                          f"write {scheme}://BUCKET/optional/prefix")
    return url.rstrip("/")


def conditional_writes_refusal(url: str) -> RemoteError | None:
    """Why nbops cannot update the shared index and registry on ``url`` safely (gs://),
    or None.

    GCS has generation preconditions, but nothing here can serve them to test
    against (the emulators on PyPI ignore ``ifGenerationMatch``), and untested
    code guarding the registry is worse than a clear refusal.
    """
    from nbops.remote._backends import backend_for
    from nbops.remote._store import RemoteStore

    scheme = urlsplit(url).scheme.lower()
    backend = backend_for(scheme) or RemoteStore
    if backend.conditional_writes:
        return None
    return RemoteError(
        f"The shared run index and registry on {redact_url(url)} cannot be updated safely: "
        f"nbops has no tested conditional writes for {scheme}:// "
        f"({backend.no_conditional_writes}), so two machines could overwrite each other's "
        "updates",
        "use an s3:// remote (any S3-compatible store), an az:// remote or a file:// "
        "mounted folder as the team remote",
    )


def check_conditional_writes(url: str) -> None:
    """Refuse (RemoteError) a remote whose shared index and registry nbops cannot update
    safely, before any work."""
    refusal = conditional_writes_refusal(url)
    if refusal is not None:
        raise refusal


def configured_url(project: Project) -> str | None:
    """The project's remote URL: ``$NBOPS_REMOTE``, else ``.nbops/remote.yaml``, else None."""
    from_env = os.environ.get(REMOTE_ENV, "").strip()
    if from_env:
        return check_url(from_env)
    path = remote_file(project)
    if not path.is_file():
        return None
    data = load_mapping(path, "remote settings")
    url = data.get("url")
    if not isinstance(url, str):
        raise ConfigError(f"{path} has no 'url: ...' line",
                          "run `nbops remote set URL` to rewrite it")
    return check_url(url)


def require_url(project: Project) -> str:
    """Like :func:`configured_url`, but a project without a remote is an error."""
    url = configured_url(project)
    if url is None:
        raise ConfigError(
            "This project has no remote",
            f"run `nbops remote set s3://BUCKET/PREFIX` (it writes {REMOTE_RELPATH}; commit "
            f"it) or set {REMOTE_ENV}",
        )
    return url


def set_remote(project: Project, url: str, auto_push: bool | None = None) -> str:
    """Record ``url`` as the project's remote in ``.nbops/remote.yaml`` (to be committed).

    Args:
        auto_push: when given, also set whether every build pushes its run
            (``auto_push: true``, for CI); None keeps the current setting.

    Returns:
        The normalised URL written.
    """
    url = check_url(url)
    path = remote_file(project)
    current = auto_push_enabled(project) if auto_push is None else auto_push
    lines = [
        "# The team remote for `nbops push` / `nbops pull` (nbops' guide: A team remote).",
        "# Credentials and endpoints come from the environment, never from this file.",
        f"url: {url}",
        f"auto_push: {'true' if current else 'false'}",
    ]
    atomic_write_text(path, "\n".join(lines) + "\n")
    return url


def auto_push_enabled(project: Project) -> bool:
    """Whether builds push their run on close (``auto_push: true``, or ``NBOPS_AUTO_PUSH=1``)."""
    env = os.environ.get("NBOPS_AUTO_PUSH", "").strip().lower()
    if env:
        return env in ("1", "true", "yes", "on")
    path = remote_file(project)
    if not path.is_file():
        return False
    value = load_mapping(path, "remote settings").get("auto_push", False)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: auto_push must be true or false, not {value!r}",
                          "write auto_push: true or auto_push: false")
    return value
