"""``nbops runs --remote``: the remote's runs from its index object (one GET, no listing)."""

from __future__ import annotations

from typing import Any

from nbops.core import Project
from nbops.remote import open_remote, read_index, require_url

_SUMMARY_KEYS = ("run_id", "status", "started_at", "finished_at", "duration_s", "executed",
                 "skipped", "failed", "metrics", "host")


def remote_summaries(project: Project, url: str | None = None) -> list[dict[str, Any]]:
    """Summaries of every run visible on the remote, oldest first."""
    remote = open_remote(url or require_url(project))
    runs = read_index(remote)
    return [{**{key: runs[run_id].get(key) for key in _SUMMARY_KEYS},
             "pushed_at": runs[run_id].get("pushed_at")} for run_id in sorted(runs)]
