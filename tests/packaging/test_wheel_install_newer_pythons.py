"""The per-version tests of test_wheel_install.py on Python 3.12 and 3.13: the wheel adds
no start-up code, `nbops new demo && ploomber build` calls no one, the sdist installs. A
module of their own, so that `make test` (pytest-xdist, --dist loadfile) runs them on
another worker than the 3.11 ones."""

from __future__ import annotations

import pytest
from test_wheel_install import (  # noqa: F401 - fixtures, the hook and tests, collected here
    demos,
    environments,
    pytest_generate_tests,
    test_a_new_project_builds_and_calls_no_one,
    test_the_sdist_installs,
    test_the_wheel_adds_no_start_up_code_and_no_example,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

VERSIONS = ("3.12", "3.13")
