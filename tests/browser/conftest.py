"""Playwright on the system Chromium (never `playwright install`)."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail("Browser tests need /usr/bin/chromium: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        # No traffic beyond loopback: no update checks, sync or other background calls.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}


@pytest.fixture(scope="package", autouse=True)
def _django_beside_playwright():
    # Playwright's sync API keeps an event loop running in this thread, which
    # trips Django's async-safety check on plain ORM calls (test bodies, and
    # the test database set-up when a browser test is the first to need it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield
