"""What a scheduled task may put on the team remote: nothing that holds a secret.

A task run on a worker (``nbops task run``) moves its files through the team bucket,
which every teammate and CI job reads and which never holds a secret (``nbops push``
keeps back what holds one, :mod:`nbops.sync`). Papermill writes every parameter into
the executed notebook and Ploomber writes them into each product's metadata file, so
with a secret parameter, or a URL carrying a password, both hold it. Those two kinds
of file travel redacted, as the run's pages show them: the raw files stay on the
worker, and the run record hashes what was shared. Any other product holding a secret
cannot be redacted without changing the data a downstream task reads, so the task
fails with one sentence instead.
"""

from __future__ import annotations

from pathlib import Path

from nbops.core import MAX_SECRET_SCAN, NbopsError


class SecretInProduct(NbopsError):
    """A product file of a scheduled task holds a secret value."""


Pairs = list[tuple[bytes, bytes]]  # nbops.core.secret_byte_pairs


def _redactable(path: Path) -> bool:
    """An executed notebook or a Ploomber metadata file (``.NAME.metadata``)."""
    return path.suffix == ".ipynb" or (path.name.startswith(".")
                                       and path.name.endswith(".metadata"))


def shareable_bytes(path: Path, relpath: str, pairs: Pairs) -> bytes | None:
    """The content to put on the remote for ``path``, or None to send the file as it is.

    Raises:
        SecretInProduct: ``path`` is a product other than a notebook and holds a secret.
    """
    if not pairs or path.stat().st_size > MAX_SECRET_SCAN:
        return None
    data = path.read_bytes()
    if not any(raw in data for raw, _ in pairs):
        return None
    if not _redactable(path):
        raise SecretInProduct(
            f"the product {relpath} holds the value of a secret parameter, and a scheduled "
            "run moves products through the team remote, which never holds secrets",
            "keep secrets out of products (read them inside the step, write only data), "
            "or build this pipeline locally")
    for raw, new in pairs:
        data = data.replace(raw, new)
    return data
