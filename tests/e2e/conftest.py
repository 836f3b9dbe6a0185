"""What the end-to-end tests run against, in the session header (the CI log shows it)."""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.browser.conftest import CHROMIUM


def pytest_report_header(config: pytest.Config) -> str:
    if not CHROMIUM.exists():
        return f"browser: no Chromium at {CHROMIUM}; the browser tests will skip"
    version = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    return f"browser: {CHROMIUM} ({version or 'version unknown'}), headless"
