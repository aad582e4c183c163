"""Models already verified on this machine, kept for the next start of a service.

Loading a registered version with skops imports ``skops.io``, and that import
lists every scikit-learn estimator (importing every scikit-learn module, and
what they pull in: pytest, dask when installed) and every numpy and scipy ufunc:
about one CPU second, a third of what a restarted ``nbops serve-model`` spent
before its first answer. The checks themselves take milliseconds.

So after a version was loaded the full way (its file's hash against the
registry, its types against the project's policy, skops' own audit and load),
:func:`keep` stores the deserialised model with the types skops found in the
file. :func:`kept` gives them back to the next process that loads the same file
in the same environment; :func:`nbops.registry._artifacts.load_verified` still
re-hashes the file and checks the recorded and found types against the policy
of the day before it uses the model, and never imports skops for it.

**What an entry may be trusted with.** An entry is pickled Python, so it is
unpickled only after its HMAC-SHA256 matches, made with a random key that never
leaves this user's config folder (``$XDG_CONFIG_HOME/nbops/model-cache.key``,
mode 0600, created on first use). The MAC covers the model file's hash and the
versions of Python, skops, scikit-learn, numpy and scipy: an entry serves one
file in one environment, and an upgrade (skops may trust fewer types by
default, scikit-learn may change its classes) starts afresh with the full load.
An entry copied from another machine or project, edited, or made for another
file or environment is ignored and replaced. Who can write this user's config
and cache folders can already run code as this user (the environment's ``.pth``
files, the compiled templates), so the cache adds no way in.

Beside a model, its ONNX form (``*.onnx``) when it passed its parity check
(:mod:`nbops.registry._onnx_form`), or why it has none (``*.no-onnx``, so a
restart does not convert again): each MAC'd the same way, for one model file and
one onnxruntime version (scoring with it needs no scikit-learn).

Where: ``$NBOPS_MODEL_CACHE`` (empty: no cache), else
``$XDG_CACHE_HOME/nbops/verified-models`` (``~/.cache/...`` by default), the
:data:`MAX_ENTRIES` last used. A
folder or key that cannot be read or written means the full load every time,
never a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbops.core import atomic_write_bytes, user_cache_folder, user_config_folder

logger = logging.getLogger("nbops")

#: Set to a folder to keep verified models there, or to an empty string to not keep them.
CACHE_DIR_ENV = "NBOPS_MODEL_CACHE"
#: The distributions whose versions decide what a model file loads as.
_VERSIONED = ("skops", "scikit-learn", "numpy", "scipy")
_MAGIC = b"nbops-verified-model 1\n"
#: Entries kept at most; the least recently used go first (a model can be large).
MAX_ENTRIES = 16


def cache_dir() -> Path | None:
    """The folder of kept models, or ``None`` when keeping is turned off."""
    return user_cache_folder("verified-models", CACHE_DIR_ENV)


def key_path() -> Path:
    """``$XDG_CONFIG_HOME/nbops/model-cache.key`` (``~/.config/...`` by default)."""
    return user_config_folder("model-cache.key")


def _key() -> bytes | None:
    """This user's cache key, created (mode 0600) when there is none; None if unusable."""
    path = key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32))
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        logger.debug("nbops: no model cache key at %s (%s)", path, exc)
        return None
    return key.encode("ascii") if len(key) >= 64 else None  # a key being written: no cache


def _context(model_hash: str) -> bytes:
    """What an entry is for: the model file and the environment that loads it."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [model_hash, sys.version]
    for name in _VERSIONED:
        try:
            parts.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return "\n".join(parts).encode("utf-8")


def _entry(folder: Path, context: bytes, suffix: str = ".model") -> Path:
    return folder / f"{hashlib.sha256(context).hexdigest()[:40]}{suffix}"


@dataclass(frozen=True)
class KeptModel:
    """An intact entry: the types skops found in the file, and the model, not yet unpickled."""

    found: frozenset[str]
    _pickled: bytes

    def model(self) -> Any:
        """The model (unpickled now: after the caller checked :attr:`found`)."""
        return pickle.loads(self._pickled)  # noqa: S301 - authenticated by its MAC


def _read(context: bytes, suffix: str = ".model") -> tuple[frozenset[str], bytes] | None:
    """The found types and the payload of an intact entry for ``context``, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    path = _entry(folder, context, suffix)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    key = _key()
    mac_end = len(_MAGIC) + 64
    if key is None or not data.startswith(_MAGIC) or data[mac_end:mac_end + 1] != b"\n":
        return None
    payload = data[mac_end + 1:]
    expected = hmac.new(key, context + b"\0" + payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), data[len(_MAGIC):mac_end]):
        logger.debug("nbops: ignoring the kept model %s: its MAC does not match", path)
        return None
    header, _, body = payload.partition(b"\n")
    try:
        found = json.loads(header)
    except ValueError:
        return None
    try:
        os.utime(path)  # used now: the last to be pruned
    except OSError:
        pass
    return frozenset(found), body


def _write(context: bytes, found: frozenset[str], body: bytes, suffix: str = ".model") -> None:
    folder = cache_dir()
    key = _key() if folder is not None else None
    if folder is None or key is None:
        return
    payload = json.dumps(sorted(found)).encode("utf-8") + b"\n" + body
    mac = hmac.new(key, context + b"\0" + payload, hashlib.sha256).hexdigest()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_bytes(_entry(folder, context, suffix), _MAGIC + mac.encode("ascii")
                           + b"\n" + payload, mode=0o600, durable=False)
    except OSError as exc:
        logger.debug("nbops: %s not kept (%s)", suffix, exc)
    _prune(folder, suffix)


def kept(model_hash: str) -> KeptModel | None:
    """The entry of the model file ``model_hash``, if kept for this environment and intact."""
    entry = _read(_context(model_hash))
    return None if entry is None else KeptModel(*entry)


def keep(model_hash: str, found: frozenset[str], model: Any) -> None:
    """Keep ``model`` (just loaded from the verified file ``model_hash``) for the next start."""
    if cache_dir() is None:
        return
    try:
        pickled = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a model that skops can store and pickle cannot
        logger.debug("nbops: model %s not kept (%s)", model_hash, exc)
        return
    _write(_context(model_hash), found, pickled)


def _onnx_context(model_hash: str) -> bytes:
    """An ONNX form serves one model file with one onnxruntime (no scikit-learn needed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        runtime = f"onnxruntime=={version('onnxruntime')}"
    except PackageNotFoundError:
        runtime = "onnxruntime absent"
    return "\n".join(["onnx form 1", model_hash, sys.version, runtime]).encode("utf-8")


def kept_onnx(model_hash: str) -> tuple[frozenset[str], bytes] | None:
    """The types skops found in the model file ``model_hash`` and its ONNX form, if one
    that passed its parity check was kept for this environment and is intact."""
    return _read(_onnx_context(model_hash), ".onnx")


def keep_onnx(model_hash: str, found: frozenset[str], data: bytes) -> None:
    """Keep the ONNX form of the verified file ``model_hash`` (after its parity check)."""
    _write(_onnx_context(model_hash), found, data, ".onnx")


def kept_no_onnx(model_hash: str) -> str | None:
    """Why the model file ``model_hash`` has no usable ONNX form, if an earlier start found
    out with this onnxruntime (so a restart does not try again), else None."""
    entry = _read(_onnx_context(model_hash), ".no-onnx")
    return None if entry is None else entry[1].decode("utf-8", "replace")


def keep_no_onnx(model_hash: str, reason: str) -> None:
    """Remember that the model file ``model_hash`` has no usable ONNX form, and why."""
    _write(_onnx_context(model_hash), frozenset(), reason.encode("utf-8"), ".no-onnx")


def _prune(folder: Path, suffix: str = ".model") -> None:
    """Remove all but the :data:`MAX_ENTRIES` most recently used entries of a kind."""
    try:
        entries = sorted(folder.glob(f"*{suffix}"), key=lambda p: p.stat().st_mtime_ns,
                         reverse=True)
        for stale in entries[MAX_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:  # another process pruned at the same time
        logger.debug("nbops: model cache not pruned (%s)", exc)
