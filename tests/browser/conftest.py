"""A real headless Chromium for browser tests, shared by every test under tests/browser.

Debian's ``/usr/bin/chromium`` only (``make test`` installs it through
``.ci/install-browser``), driven by the Python ``playwright`` package; never a
browser downloaded by Playwright.

Fixtures:
    browser            one Chromium per test module.
    page               a fresh page whose every request is checked: ``file:``,
                       ``data:``, ``blob:`` and ``about:`` pass, and so do URLs
                       starting with a prefix from ``allowed_url_prefixes``
                       (override that fixture, e.g. for a local JupyterLab);
                       anything else is aborted and recorded. Console errors and
                       uncaught page errors are recorded too. At teardown the
                       test fails if anything was blocked or logged an error.
    guard              the recorder behind ``page`` (``guard.check()`` asserts now).
    allowed_url_prefixes  extra URL prefixes a test may load (default: none).
    shoot              ``shoot(page, name)`` saves a full-page screenshot to
                       ``tests/artifacts/<name>.png`` (gitignored) and returns its path.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from browser_guard import Guard  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


# Module scope, not session: Playwright's sync API keeps an asyncio loop running
# on the main thread while it is open, which would make every later test that
# calls asyncio.run() (jupyter_client, the kernel pool) fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed: run `bash .ci/install-browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def allowed_url_prefixes() -> tuple[str, ...]:
    return ()


@pytest.fixture
def guard(allowed_url_prefixes: tuple[str, ...]) -> Guard:
    return Guard(allowed=tuple(allowed_url_prefixes))


@pytest.fixture
def page(browser: Any, guard: Guard) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(route: Any) -> None:
        url = route.request.url
        if guard.allows(url):
            route.continue_()
        else:
            guard.blocked.append(url)
            route.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda msg: guard.console_errors.append(msg.text)
           if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: guard.page_errors.append(str(exc)))
    try:
        yield tab
        guard.check()
    finally:
        context.close()


@pytest.fixture
def shoot() -> Callable[[Any, str], Path]:
    def save(tab: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return save
