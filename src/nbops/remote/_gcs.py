"""``gs://`` remotes through gcsfs: objects and pages, but no shared documents.

GCS has generation preconditions, but nothing here can serve them to test against
(the emulators on PyPI ignore ``ifGenerationMatch``), so the run index and the
registry are refused rather than updated last-writer-wins
(:func:`nbops.remote._config.conditional_writes_refusal`).
"""

from __future__ import annotations

from nbops.remote._store import RemoteStore


class GcsStore(RemoteStore):
    """A ``gs://bucket/prefix`` (or ``gcs://``) remote."""

    schemes = ("gs", "gcs")
    protocol = "gcs"
    extra = "gcs"
    example = "gs://bucket/prefix"
    credentials_hint = "check GOOGLE_APPLICATION_CREDENTIALS"
    no_conditional_writes = ("GCS generation preconditions need a server that honours them to "
                             "be tested against, and none is available")
