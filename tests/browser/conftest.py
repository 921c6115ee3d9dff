"""A live eoffice server (demo data, its own SQLite file) and headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.migrate import upgrade_to_head
from eoffice.org.demo import load_demo
from eoffice.settings import load_settings
from eoffice.web import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    demo_password: str
    factory: object
    settings: object = None
    """The server's settings (its blob store, for tests that prepare documents directly)."""


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("live")
    settings = load_settings(
        env="test", instance_dir=instance, database_url=f"sqlite:///{instance / 'live.sqlite3'}"
    )
    engine = make_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        demo = load_demo(session)
    app = create_app(settings, session_factory=factory)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", demo.password, factory, settings)
    server.shutdown()
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Module scope on purpose: Playwright's sync API keeps an event loop running in this thread,
    # and pyHanko's validation calls asyncio.run(), which refuses to run inside one. Closing the
    # browser after each module lets later tests in the same worker sign and validate.
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
