"""The console in a real headless Chromium (Debian's, never a downloaded one).

One server per session over a fresh SQLite file loaded with the demo merchant. Without
``/usr/bin/chromium`` the browser tests skip with the reason, unless
``OMS_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail. Screenshots of every
page at desktop and phone size go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from openoms.entrypoints.demo import load_demo
from openoms.infra import migrate
from openoms.infra.db import Database
from openoms.infra.logging import configure
from openoms.infra.settings import Settings
from openoms.web.app import create_app
from tests.e2e.serving import serving

CHROMIUM = Path(os.environ.get("OMS_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {
    "viewport": {"width": 375, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@dataclass(frozen=True)
class Site:
    url: str
    db: Database


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("OMS_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and the browser tests are required")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        print(f"browser tests run in {CHROMIUM} {browser.version}")  # noqa: T201 (in the CI log)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'oms.db'}"
    configure("WARNING", json=True)
    db = Database.from_url(url, pool_size=20)
    migrate.upgrade(db.engine)
    load_demo(db)
    settings = Settings(
        database_url=url,
        embedded_worker=False,
        login_attempts_per_ip=10_000,
        secret_key="browser-tests",
    )
    try:
        with serving(create_app(settings, db)) as base_url:
            yield Site(base_url, db)
    finally:
        db.dispose()


@pytest.fixture
def desktop(chromium: Browser, site: Site) -> Iterator[Page]:
    context = chromium.new_context(base_url=site.url, **DESKTOP)  # type: ignore[arg-type]
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium: Browser, site: Site) -> Iterator[Page]:
    context = chromium.new_context(base_url=site.url, **PHONE)  # type: ignore[arg-type]
    yield context.new_page()
    context.close()
