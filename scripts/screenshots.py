"""Screenshots of the booking pages at a desktop and a phone width, and of the
staff console at a desktop width.

Runs on a throwaway SQLite database with its own demo company (a host, and a
company admin with appointments today and this week), serves it with gunicorn and
photographs it with Debian's chromium through Playwright (no browser download;
``bin/ensure-chromium`` installs it). Usage:

    .venv/bin/python scripts/screenshots.py [output directory]

Writes ``booking-<page>-<desktop|phone>.png``, ``admin-index-desktop.png`` and
``admin-contact-timeline-desktop.png`` (default: docs/screenshots/).
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
from typing import NamedTuple
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Where the console's admin works: the first of these where the day has hours left.
CONSOLE_ZONES = ("Europe/Berlin", "America/New_York", "America/Los_Angeles",
                 "Asia/Singapore", "Pacific/Auckland")
CONSOLE_EMAIL = "lena@northwind.test"
CONSOLE_PASSWORD = secrets.token_urlsafe(16)
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Demo(NamedTuple):
    host_slug: str  # the host of the booking pages
    contact_id: int  # the contact whose timeline is photographed


def prepare(env: dict) -> Demo:
    """Migrate the throwaway database and add a demo host and a console's day."""
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
    return Demo(host_slug=owner.slug, contact_id=prepare_console(company, actor))


def prepare_console(company, owner) -> int:
    """Lena, a company admin who hosts onboardings and contract reviews, with a few
    appointments today and this week, booked, moved and cancelled through the
    services the API uses, a few days apart. Sofia's bookings fill her timeline;
    returns Sofia's contact id."""
    from django.utils import timezone

    from scheduling.choices import Role
    from scheduling.services.meeting_types import meeting_type_create
    from scheduling.services.schedules import schedule_create
    from scheduling.services.tenancy import user_create

    now = timezone.now()
    zone = console_zone(now)
    lena = user_create(company=company, actor=owner, email=CONSOLE_EMAIL, given_name="Lena",
                       family_name="Fischer", role=Role.ADMIN, timezone=zone)
    lena.user.set_password(CONSOLE_PASSWORD)
    lena.user.save(update_fields=["password"])
    schedule_create(company=company, user=lena.user, name="Every day", timezone_name=zone,
                    weekly={day: [{"start": "08:00", "end": "20:00"}] for day in EVERY_DAY})
    hosts = [str(lena.user.uuid)]
    onboarding = meeting_type_create(company=company, actor=owner, title="Customer onboarding",
                                     slug="onboarding", durations=[45], default_duration=45,
                                     host_ids=hosts)
    review = meeting_type_create(company=company, actor=owner, title="Contract review",
                                 slug="contract-review", durations=[30], default_duration=30,
                                 host_ids=hosts)

    today = now.astimezone(ZoneInfo(zone)).date()

    def local(days: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute),
                                   ZoneInfo(zone))

    def ago(days: int, hours: int = 0) -> dt.datetime:
        return now - dt.timedelta(days=days, hours=hours)

    sofia = sofias_timeline(company, onboarding, review, local, ago)

    # Two of the day's usual times still ahead when the script runs, and tomorrow.
    ahead = [start for start in (local(0, hour, minute) for hour, minute in
                                 ((9, 0), (10, 30), (12, 0), (14, 0), (15, 30), (17, 0),
                                  (18, 30)))
             if start > now + dt.timedelta(minutes=30)]
    today_bookings = ((onboarding, "Tobias", "Klein", "contoso"),
                      (review, "Amara", "Okafor", "tailspin"))
    for start, (meeting_type, *person) in zip(ahead, today_bookings, strict=False):
        demo_booking(meeting_type, start, *person, now=ago(1))
    demo_booking(review, local(1, 10), "Jonas", "Becker", "litware", now=ago(3))
    return sofia.pk


def sofias_timeline(company, onboarding, review, local, ago):
    """Sofia books an onboarding and a contract review, moves the first and cancels
    the second, and is tagged; returns her contact."""
    from crm.models import Contact
    from crm.services import contact_tags_set
    from scheduling.services.appointments import appointment_cancel, appointment_reschedule

    moved = demo_booking(onboarding, local(2, 11), "Sofia", "Romano", "fabrikam", now=ago(6, 3))
    dropped = demo_booking(review, local(5, 9, 30), "Sofia", "Romano", "fabrikam",
                           now=ago(4, 7))
    appointment_reschedule(appointment=moved, start=local(3, 14), now=ago(2, 5))
    appointment_cancel(appointment=dropped, reason="We will sign next quarter instead.",
                       by_attendee=True, now=ago(0, 4))
    sofia = Contact.objects.get(company=company, email="sofia@fabrikam.test")
    contact_tags_set(contact=sofia, names=["trial", "enterprise"])
    return sofia


def console_zone(now: dt.datetime) -> str:
    """Berlin, or if Berlin's working day is nearly over when the script runs, the
    first zone of an office where it is still morning or early afternoon, so the
    index has appointments left today."""
    for name in CONSOLE_ZONES:
        if 6 <= now.astimezone(ZoneInfo(name)).hour < 15:
            return name
    return CONSOLE_ZONES[0]


def demo_booking(meeting_type, start: dt.datetime, first: str, last: str, domain: str, *,
                 now: dt.datetime):
    from scheduling.services.bookings import AttendeeInput, booking_create

    attendee = AttendeeInput(email=f"{first.lower()}@{domain}.test", first_name=first,
                             last_name=last, timezone=start.tzinfo.key, language="en")
    return booking_create(company=meeting_type.company, meeting_type=meeting_type,
                          start=start, attendee=attendee, now=now).appointment


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


def shoot(base: str, demo: Demo, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    made = []
    day = dt.date.today() + dt.timedelta(days=7)
    day -= dt.timedelta(days=day.weekday())  # a Monday, next week
    pages = {
        "host": f"{base}/{demo.host_slug}",
        "calendar": f"{base}/{demo.host_slug}/demo?tz=Europe/Berlin&month={day:%Y-%m}&date={day}",
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
        made += shoot_console(browser, base, demo.contact_id, out)
        browser.close()
    return made


def shoot_console(browser, base: str, contact_id: int, out: Path) -> list[Path]:
    """The company admin's console: the index with their day, and a contact's page
    with its timeline. Signs in through the sign-in form."""
    width, height = WIDTHS["desktop"]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="en-GB")
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.locator("#id_username").fill(CONSOLE_EMAIL)
    page.locator("#id_password").fill(CONSOLE_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")
    page.wait_for_selector("#upcoming-module")
    made = [out / "admin-index-desktop.png"]
    page.screenshot(path=made[-1])
    page.goto(f"{base}/admin/crm/contact/{contact_id}/change/")
    page.wait_for_selector("#content-main form")
    made.append(out / "admin-contact-timeline-desktop.png")
    page.screenshot(path=made[-1], full_page=True)
    context.close()
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
        demo = prepare(env)
        proc = serve(env, port)
        try:
            for path in shoot(f"http://127.0.0.1:{port}", demo, out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
