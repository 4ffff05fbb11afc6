"""The dashboard in a real headless Chromium: one browser and one ``debtpulse serve`` a session.

The browser is Debian's ``chromium`` (``shutil.which("chromium")``, or the path in
``DEBTPULSE_TEST_CHROMIUM``), driven through the ``playwright`` package's own driver; nothing
is downloaded at run time (``make test`` installs the distribution's package when missing).
Without a chromium the tests are skipped, saying so. Each test gets a fresh browser context
(no cookies), signed in through a link ``/debt dashboard`` sent it, as a person would be.
Screenshots go to ``DEBTPULSE_SCREENSHOTS_DIR`` when set (``make screenshots``), else to the
session's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from tests.browser import world
from tests.e2e.conftest import LEAD, MEMBER, SECRET, TEAM, free_port, server_env, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM_ENV = "DEBTPULSE_TEST_CHROMIUM"
SCREENSHOTS_ENV = "DEBTPULSE_SCREENSHOTS_DIR"
# Read once at import: every test runs with the DEBTPULSE_ variables cleared.
_CHROMIUM = os.environ.get(CHROMIUM_ENV)
_SCREENSHOTS = os.environ.get(SCREENSHOTS_ENV)
LINK = re.compile(r"https?://[^\s|>]+/dash/signin\?t=[^\s|>]+")
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def find_chromium() -> str | None:
    """The Chromium to drive: ``DEBTPULSE_TEST_CHROMIUM`` if set, else ``chromium`` on PATH."""
    if _CHROMIUM:
        return _CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium on PATH: install Debian's chromium (make test does)")
    if not Path(chromium).is_file():
        pytest.fail(f"{CHROMIUM_ENV}: no such file: {chromium}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Dash:
    """The served dashboard of the seeded team, and the means to sign in to it."""

    url: str
    fake: FakeSlack
    runtime: Runtime
    now: datetime

    def link(self, user: str = LEAD) -> str:
        """The one-time sign-in link ``/debt dashboard`` replies to ``user`` with."""
        self.fake.reset()
        driver = SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake)
        driver.slash(text="dashboard", user=user)

        def found() -> str | None:
            texts = [str(e.to_dict()) for e in self.fake.ephemerals(user=user)]
            links = [m.group(0) for text in texts for m in LINK.finditer(text)]
            return links[-1] if links else None

        return self.fake.wait_for(found)


@pytest.fixture(scope="session")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dash]:
    folder = tmp_path_factory.mktemp("dash")
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with FakeSlack(post_rate=None) as fake, pytest.MonkeyPatch.context() as mp:
        env = server_env(fake, database_url, DEBTPULSE_PUBLIC_URL=url)
        for name, value in env.items():
            mp.setenv(name, value)
        for user in (LEAD, MEMBER, "U0OWNER"):
            fake.workspace.add_user(user, name=user.lower())
        runtime = build_runtime(load_settings(), engine=engine, default_team=TEAM)
        now = datetime.now(UTC)
        world.seed(runtime, team=TEAM, now=now)
        process = start_server(env=env, port=port, log=folder / "serve.log")
        try:
            yield Dash(url=url, fake=fake, runtime=runtime, now=now)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: no cookie, nobody signed in."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save their PNGs (``DEBTPULSE_SCREENSHOTS_DIR``, from where pytest ran)."""
    if not _SCREENSHOTS:
        return tmp_path_factory.mktemp("screenshots")
    folder = request.config.invocation_params.dir / _SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder
