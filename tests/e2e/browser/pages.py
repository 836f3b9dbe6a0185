"""Steps the browser tests share: sign in, take screenshots."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from openoms.entrypoints.demo_users import DEMO_PASSWORD, DOMAIN
from tests.e2e.browser.conftest import SHOTS


def sign_in(page: Page, who: str) -> None:
    """Sign in as a demo user (``sales``, ``warehouse``, ``clerk.ams`` …)."""
    page.goto("/console/login")
    page.get_by_label("Email").fill(f"{who}@{DOMAIN}")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash.success")).to_contain_text("Welcome")


def shot(page: Page, name: str, **kwargs: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = "phone" if (page.viewport_size or {}).get("width", 1280) < 600 else "desktop"
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True, **kwargs)
