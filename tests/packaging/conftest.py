"""The packaging modules' shared fixture: ``dist``, the sdist and the wheel of this
checkout (``uv build`` as a release does it: packaging_smoke.build_dist), built once per
test session for all of them, whichever worker runs them (packaging_smoke.shared_dist)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_smoke import shared_dist

from project_files import session_folder


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"sdist": …, "wheel": …}, read-only: install or open them, never change them."""
    return shared_dist(session_folder(tmp_path_factory.getbasetemp()))
