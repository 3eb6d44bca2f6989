"""Debian's chromium driven by Playwright, against a real gunicorn on the test
database. No browser is ever downloaded: ``bin/ensure-chromium`` installs the
distribution's package and Playwright launches it by path."""

import os
import subprocess
import sys
from contextlib import contextmanager

from tests.support.processes import ROOT, child_env, free_port, stop, wait_for_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@contextmanager
def page_server():
    """A gunicorn serving the pages (static files by whitenoise) whose ``SITE_URL``
    is its own address, so the links it makes point back at it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=child_env(SITE_URL=base, DEBUG="0"),
    )
    try:
        wait_for_http(f"{base}/static/scheduling/pages.css", proc=proc)
        yield base
    finally:
        stop(proc)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def orm_beside_playwright():
    """Let a test use the ORM while a browser is open. Playwright's sync API keeps an
    event loop running in this thread, and Django refuses synchronous database calls
    from a thread with a running loop unless told they are safe (they are: the loop
    only waits for the browser)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before
