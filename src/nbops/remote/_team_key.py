"""The team key: how a clone tells the team's registry from one a bucket writer forged.

Everyone who pushes runs can write the bucket (every CI job holds its
credentials), so what is in the bucket proves nothing by itself. Whoever may
change the shared registry also holds a secret *team key*, kept outside the
bucket and outside the repository: ``$NBOPS_REMOTE_KEY``, else a file per remote
under the user's config folder (``~/.config/nbops/remote-keys/``, mode 0600),
written by ``nbops remote set``. The registry on the remote carries an
HMAC-SHA256 of its content made with that key (:mod:`nbops.registry._remote_trust`);
a machine without the key cannot write a registry others accept.

The key is never logged, never in a URL, a manifest, the registry or the bucket;
only its *id* (a hash of it) is written next to a signature, to tell "signed with
another key" from "not signed by the team".
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from nbops.core import ConfigError, user_config_folder
from nbops.remote._config import check_url, redact_url

KEY_ENV = "NBOPS_REMOTE_KEY"
MIN_KEY_LENGTH = 32
SCHEME = "hmac-sha256"


def keys_dir() -> Path:
    """``$XDG_CONFIG_HOME/nbops/remote-keys`` (``~/.config/...`` by default)."""
    return user_config_folder("remote-keys")


def key_file(url: str) -> Path:
    """The file holding the team key of the remote ``url`` on this machine."""
    name = hashlib.sha256(check_url(url).encode("utf-8")).hexdigest()[:20]
    return keys_dir() / f"{name}.key"


def _checked(key: str, where: str) -> bytes:
    key = key.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"the team key in {where} has {len(key)} characters, fewer than "
                          f"{MIN_KEY_LENGTH}",
                          "use the key `nbops remote key` prints on a machine that has it")
    return key.encode("utf-8")


def team_key(url: str) -> bytes | None:
    """The team key of ``url``: ``$NBOPS_REMOTE_KEY``, else its key file, else None.

    Raises:
        ConfigError: a key is set but too short to be one.
    """
    from_env = os.environ.get(KEY_ENV, "")
    if from_env.strip():
        return _checked(from_env, f"${KEY_ENV}")
    path = key_file(url)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return _checked(text, str(path))


def no_key_fix(url: str) -> str:
    """The one-sentence fix for a machine without the team key of ``url``."""
    return (f"set {KEY_ENV} to the team key (`nbops remote key` prints it on a machine that "
            f"has it), or run `nbops remote set {redact_url(url)} --key KEY`")


def store_team_key(url: str, key: str | None = None) -> tuple[Path, bool]:
    """Write ``key`` (or a new random one, when none is stored yet) to ``url``'s key file.

    Returns:
        The key file and whether a key was written (False: one was already there
        and no ``key`` was given).
    """
    path = key_file(url)
    if key is None and path.is_file():
        return path, False
    value = _checked(key, "--key").decode() if key is not None else secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".tmp-{secrets.token_hex(4)}-{path.name}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.replace(temp, path)
    return path, True


def key_id(key: bytes) -> str:
    """A public name for ``key`` (a hash: it reveals nothing of the key)."""
    return hashlib.sha256(b"nbops team key id\0" + key).hexdigest()[:16]


def mac(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key`` (hex)."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def signature_of(key: bytes, data: bytes) -> dict[str, str]:
    """What is stored beside signed ``data``: the scheme, the key's id (never the key), the MAC.

    One code path for everything the team key signs: the remote registry
    (:mod:`nbops.registry._remote_trust`) and each pushed run (:mod:`nbops.remote._run_signature`).
    """
    return {"scheme": SCHEME, "key_id": key_id(key), "mac": mac(key, data)}


def mac_matches(key: bytes, data: bytes, claimed: object) -> bool:
    """Whether ``claimed`` is the MAC of ``data`` under ``key`` (constant-time)."""
    return isinstance(claimed, str) and hmac.compare_digest(mac(key, data), claimed)
