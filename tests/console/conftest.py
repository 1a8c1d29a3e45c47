from __future__ import annotations

import pytest

from .browser import CHROMIUM_ARGS, DemoProcess, _missing, artifacts_dir, chromium_path


@pytest.fixture(scope="module")
def demo():
    server = DemoProcess()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors and uncaught exceptions are collected, and its screenshots kept."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def shot(self, what: str) -> None:
        path = artifacts_dir() / f"{self.name}-{what}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    watched = Watched(context.new_page(), request.node.name)
    yield watched
    context.close()
    assert watched.errors == [], watched.errors  # no JS console errors on any console page
