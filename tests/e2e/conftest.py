"""Browser tests: Playwright driving Debian's chromium against the real server.

* `live_server`: gunicorn (`gunicorn.conf.py`, as `make serve` runs it) on a free 127.0.0.1 port,
  over a fresh database of each engine the suite runs on, migrated and loaded with `flask demo`.
  One server per engine for the whole package, so the flows share it: each flow logs in as its
  own demo account (one per viewport) and must not depend on another flow having run.
* `viewport`: every flow runs at a phone size (375x812, touch) and a desktop size (1366x768).
* `page`: a fresh browser context at that size, watched for the whole test: a console error, an
  uncaught script error or a request to any host other than the app fails the test (the request
  is also aborted, so nothing leaves the machine). A screenshot of the last page is kept in
  test-artifacts/e2e/ whatever the outcome; `browser.shot()` keeps more.

Chromium is /usr/bin/chromium (or CHROMIUM_PATH); axe-core comes from node_modules (npm ci, run
by `make test`). In CI (CI=true) both are required; elsewhere the tests skip and say what is
missing.
"""

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

from tests.conftest import ENGINES, IN_CI, TEST_DATABASE_URL
from tests.e2e import browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"name": "phone", "viewport": {"width": 375, "height": 812}, "is_mobile": True,
         "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"name": "desktop", "viewport": {"width": 1366, "height": 768}}


def _unavailable(what: str) -> None:
    """Fail in CI, where .ci/run installs everything; skip elsewhere, saying what is missing."""
    if IN_CI:
        pytest.fail(f"CI=true but {what}; it is required in CI.", pytrace=False)
    pytest.skip(f"browser tests skipped: {what}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_browser():
    """One headless chromium for the whole run."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (make dev-install)")
    if not browser.AXE.exists():
        _unavailable(f"axe-core is missing at {browser.AXE} (npm ci)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", params=ENGINES)
def live_server(request, tmp_path_factory):
    """gunicorn serving the demo site on a fresh database of this engine (see the module doc)."""
    from bench import harness

    folder = tmp_path_factory.mktemp(f"e2e-{request.param}")
    server_url = TEST_DATABASE_URL if request.param == "postgresql" else None
    secret = uuid.uuid4().hex
    with harness.own_database(str(folder), server_url) as url:
        uploads = folder / "uploads"
        uploads.mkdir()
        app = harness.app_for(url, str(uploads), secret)
        with app.app_context():
            from flask_migrate import upgrade

            from learning.extensions import db

            upgrade()
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            db.engine.dispose()
        env = {"DATABASE_URL": url, "SECRET_KEY": secret, "UPLOAD_DIR": str(uploads),
               # Reading credit is earned in real minutes; a browser test cannot wait for it.
               "READING_MIN_SHARE": "0",
               # Each viewport's leader sends their own reminder; a shared cooldown is not
               # what these flows are about (tests/learning cover it).
               "REMINDER_COOLDOWN_MINUTES": "0"}
        with harness.Gunicorn(env, folder / "gunicorn.log", workers=2) as server:
            server.engine = request.param
            yield server


@pytest.fixture(params=[PHONE, DESKTOP], ids=lambda size: size["name"])
def viewport(request) -> dict:
    return request.param


@pytest.fixture
def page(request, playwright_browser, live_server, viewport):
    """A page in a fresh context at `viewport`, watched for console errors and foreign hosts."""
    options = {key: value for key, value in viewport.items() if key != "name"}
    context = playwright_browser.new_context(
        base_url=live_server.base, locale="zh-CN", accept_downloads=True, **options)
    context.set_default_timeout(15_000)
    watch = browser.Watch(live_server.base)
    context.route("**/*", watch.route)
    tab = context.new_page()
    tab.on("console", watch.console)
    tab.on("pageerror", watch.page_error)
    tab.watch = watch
    tab.viewport_name = viewport["name"]
    tab.artifact_prefix = _artifact_prefix(request.node.nodeid)
    try:
        yield tab
        browser.shot(tab, "last")
    finally:
        context.close()
    assert not watch.foreign, f"requests to other hosts: {watch.foreign}"
    assert not watch.errors, f"console errors: {watch.errors}"


def _artifact_prefix(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts():
    """Screenshots of this run only."""
    shutil.rmtree(browser.ARTIFACTS, ignore_errors=True)
    browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
