"""Browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live server."""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in this thread; the ORM calls that fixtures make
# around it are still ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
MANAGER_PASSWORD = "register-manager-passphrase"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)."
        )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django's serialized_rollback keeps the rows that migrations made (root page, root
    # collection, groups) on the connection object. Once Playwright's sync API starts, this
    # thread runs in another context and Django hands it a fresh connection object, so carry
    # the copy across; otherwise every browser test after the first starts on an empty tree.
    serialized = getattr(connections["default"], "_test_serialized_contents", None)
    with sync_playwright() as playwright:
        if serialized is not None:
            connections["default"]._test_serialized_contents = serialized
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh browser tab at desktop size; console errors and failed requests are collected."""
    context = chromium.new_context(
        viewport=DESKTOP, base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core on the page as it is now and fail on any violation, whatever its impact."""

    def _check(page, label=""):
        results = axe.run(page)
        assert results.violations_count == 0, (
            f"axe-core found violations on {label or page.url}:\n" + results.generate_report()
        )

    return _check


@pytest.fixture
def manager(demo_site):
    """A register manager ("registrar", MANAGER_PASSWORD) on the demo site."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username="registrar", email="registrar@bcis.example", password=MANAGER_PASSWORD
    )
    user.groups.add(Group.objects.get(name="Register managers"))
    return user
