"""Screenshots of the booking pages at a desktop and a phone width.

Runs on a throwaway SQLite database with its own demo host, serves it with
gunicorn and photographs it with Debian's chromium through Playwright (no
browser download; ``bin/ensure-chromium`` installs it). Usage:

    .venv/bin/python scripts/screenshots.py [output directory]

Writes ``booking-<page>-<desktop|phone>.png`` (default: docs/screenshots/).
"""

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict) -> str:
    """Migrate the throwaway database and add a demo host; returns the host's slug."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scheduling.models import Membership
    from scheduling.services.meeting_types import meeting_type_create
    from scheduling.services.schedules import schedule_create
    from scheduling.services.tenancy import company_create

    company, owner = company_create(name="Northwind", slug="northwind", timezone="Europe/Berlin",
                                    owner_email="maria@northwind.test",
                                    owner_given_name="Maria", owner_family_name="Sommer")
    schedule_create(company=company, user=owner, name="Weekdays", timezone_name="Europe/Berlin",
                    weekly={day: [{"start": "09:00", "end": "12:00"},
                                  {"start": "13:00", "end": "17:30"}]
                            for day in ("monday", "tuesday", "wednesday", "thursday")})
    actor = Membership.objects.get(company=company, user=owner)
    meeting_type_create(
        company=company, actor=actor, title="Product demo", slug="demo", durations=[30, 45],
        default_duration=30, minimum_notice=120,
        description="A tour of the product tailored to your team, with time for questions.",
        form_fields=[{"key": "company", "label": "Company", "type": "text", "required": True},
                     {"key": "team_size", "label": "Team size", "type": "select",
                      "options": ["1-10", "11-50", "51-200", "200+"]},
                     {"key": "goals", "label": "What would you like to see?",
                      "type": "textarea"}])
    meeting_type_create(company=company, actor=actor, title="Quick question", slug="question",
                        durations=[15], default_duration=15,
                        description="Fifteen minutes for anything short.")
    return owner.slug


def serve(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/scheduling/pages.css")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


def shoot(base: str, slug: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    made = []
    day = dt.date.today() + dt.timedelta(days=7)
    day -= dt.timedelta(days=day.weekday())  # a Monday, next week
    pages = {
        "host": f"{base}/{slug}",
        "calendar": f"{base}/{slug}/demo?tz=Europe/Berlin&month={day:%Y-%m}&date={day}",
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        for label, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height},
                                          timezone_id="Europe/Berlin", locale="en-GB",
                                          device_scale_factor=1 if width > 600 else 2)
            page = context.new_page()
            for name, url in pages.items():
                page.goto(url)
                made.append(out / f"booking-{name}-{label}.png")
                page.screenshot(path=made[-1], full_page=True)
            page.locator("a.slot").nth(2).click()
            page.wait_for_selector("form.form")
            made.append(out / f"booking-form-{label}.png")
            page.screenshot(path=made[-1], full_page=True)
            page.get_by_label("Your name").fill("Jonas Weber")
            page.get_by_label("Email").fill("jonas@example.com")
            page.get_by_label("Company").fill("Contoso")
            page.get_by_role("button", name="Schedule event").click()
            page.wait_for_selector(".confirm")
            made.append(out / f"booking-confirmation-{label}.png")
            page.screenshot(path=made[-1], full_page=True)
            context.close()
        browser.close()
    return made


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as var:
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "REDIS_URL")}
        env.update(TERMIN_VAR_DIR=var, SITE_URL=f"http://127.0.0.1:{port}",
                   DJANGO_SETTINGS_MODULE="config.settings", CELERY_TASK_ALWAYS_EAGER="1",
                   EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                   # DEBUG off, as in production, but a throwaway key and plain http.
                   SECRET_KEY=secrets.token_urlsafe(50), SECURE_SSL_REDIRECT="false",
                   SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false")
        slug = prepare(env)
        proc = serve(env, port)
        try:
            for path in shoot(f"http://127.0.0.1:{port}", slug, out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
