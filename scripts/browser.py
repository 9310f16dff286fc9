"""The Chromium the console's browser tests and screenshots drive with
Playwright: Debian's package (/usr/bin/chromium, what CI installs), else
Playwright's own build when one was installed. Without either,
BrowserMissing says how to get one: the browser tests fail on it, never skip."""

from __future__ import annotations

import os
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that phones home or updates itself during a test;
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("No Chromium to run the console's browser tests. Install Debian's: `sudo apt-get install -y "
                "chromium` (what .ci/run does), or Playwright's own: `.venv/bin/python -m playwright install "
                "chromium`; or set CHROMIUM to a Chromium executable.")


class BrowserMissing(RuntimeError):
    pass


def chromium_executable(playwright, debian: Path = DEBIAN_CHROMIUM) -> str:
    """The Chromium to launch: $CHROMIUM, Debian's, or Playwright's own, the first that exists."""
    candidates = [os.environ.get("CHROMIUM"), str(debian), playwright.chromium.executable_path]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise BrowserMissing(INSTALL_HINT)


def launch_chromium(playwright, **options):
    """A headless Chromium browser (Playwright's Browser)."""
    return playwright.chromium.launch(executable_path=chromium_executable(playwright), args=CHROMIUM_FLAGS,
                                      **options)
