"""Put a run's input data back in place, from the content store, by hash.

The ledger records ``provenance.inputs`` as ``{path: hash}``: paths inside
the project are relative to it, others absolute, and the content is kept in
the project's store. For each input the reproduction needs exactly those
bytes at the path the pipeline reads:

* inside the project: written into the scratch copy at the same relative
  path (unless the checkout already has them, e.g. a committed file);
* outside the project: used where it is when it still has the recorded hash,
  else restored into the scratch copy and the parameter that named it is
  redirected there (see :mod:`nbops.reproduce._overrides`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nbops.core import ContentStore, ReproduceError, hash_file, is_hash

RESTORED_DIR = Path(".nbops") / "reproduce-inputs"


@dataclass
class RestoredInputs:
    """What :func:`restore_inputs` did.

    Attributes:
        restored: input path -> where its recorded content now is (in the scratch copy).
        in_place: inputs that were already right (committed, or unchanged outside).
        redirect: absolute recorded path -> restored path, for parameters naming it.
        unverifiable: inputs recorded without a hash (nothing to restore or check).
    """

    restored: dict[str, str] = field(default_factory=dict)
    in_place: list[str] = field(default_factory=list)
    redirect: dict[str, str] = field(default_factory=dict)
    unverifiable: list[str] = field(default_factory=list)


def _has(path: Path, digest: str) -> bool:
    return path.is_file() and hash_file(path) == digest


def restore_inputs(
    inputs: Mapping[str, str | None], store: ContentStore, scratch_root: Path
) -> RestoredInputs:
    """Make every recorded input available to the reproduction with its recorded bytes.

    Raises:
        ReproduceError: an input's content is neither in the store nor still in place.
    """
    done = RestoredInputs()
    for name, digest in sorted(inputs.items()):
        if digest is None or not is_hash(digest):
            done.unverifiable.append(name)
            continue
        outside = Path(name).is_absolute()
        target = Path(name) if outside else scratch_root / name
        if _has(target, digest):
            done.in_place.append(name)
            continue
        if not store.has(digest):
            raise ReproduceError(
                f"input {name} ({digest[:19]}…) is not in the content store and its current "
                "content differs from the run's",
                "restore .nbops/store from a backup, or put the original file back at that path",
            )
        if outside:
            target = scratch_root / RESTORED_DIR / digest[7:19] / Path(name).name
            done.redirect[name] = str(target)
        store.verify(digest)
        store.materialize(digest, target, link=False)
        done.restored[name] = str(target)
    return done
