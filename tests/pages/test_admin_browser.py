"""The staff console in a real browser (Debian's chromium through Playwright)
against a real gunicorn: a company admin and a member sign in through the sign-in
form, see their day and their company only; a person in two companies switches."""

import datetime as dt
import re

import pytest

from crm.models import Contact
from crm.services import contact_create
from scheduling.choices import Role
from scheduling.models import Membership
from tests.conftest import client_for, make_company, make_member
from tests.pages.browser import chromium, orm_beside_playwright, page_server
from tests.scheduling.conftest import make_meeting_type, nine_to_five
from tests.scheduling.test_bookings import at, book, utc_host

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a long and good password 42"
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), page_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with orm_beside_playwright(), chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  timezone_id="Europe/Berlin", locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def globex(db):
    """Another company with a contact and an appointment of its own, which no one
    of Acme may ever see."""
    company, boss = make_company(name="Globex", owner_email="boss@globex.test")
    contact_create(company=company, email="wile@coyote.test", first_name="Wile",
                   last_name="Coyote")
    meeting_type = make_meeting_type(utc_host(boss, weekly=nine_to_five(EVERY_DAY)),
                                     title="Globex strategy")
    booked = book(client_for(boss), meeting_type, at(tomorrow(), 11),
                  attendee={"email": "road@runner.test", "firstname": "Road",
                            "lastname": "Runner"})
    assert booked.status_code == 201, booked.json()
    return company


def tomorrow() -> dt.date:
    return dt.date.today() + dt.timedelta(days=1)


def with_hours(membership: Membership) -> Membership:
    """A host who works 09:00-17:00 UTC every day, and can sign in."""
    utc_host(membership, weekly=nine_to_five(EVERY_DAY))
    membership.user.set_password(PASSWORD)
    membership.user.save(update_fields=["password"])
    return membership


def booked_for(owner: Membership, host: Membership, title: str, hour: int, **attendee) -> None:
    """Tomorrow at ``hour`` UTC with ``host``, booked through the API by the owner."""
    meeting_type = make_meeting_type(owner, hosts=[host], title=title)
    response = book(client_for(owner), meeting_type, at(tomorrow(), hour), attendee=attendee)
    assert response.status_code == 201, response.json()


def sign_in(page, base: str, membership: Membership) -> None:
    page.goto(f"{base}/admin/login/")
    page.locator("#id_username").fill(membership.user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def header(page) -> str:
    return page.locator("#site-name").inner_text()


def upcoming(page) -> str:
    return page.locator("#upcoming-module").inner_text()


def admin_links(page, *paths: str) -> int:
    return sum(page.locator(f'a[href^="/admin/{path}"]').count() for path in paths)


def test_a_company_admin_signs_in_sees_their_day_and_never_another_company(
        server, page, owner, globex):
    admin = with_hours(make_member(owner, Role.ADMIN))
    booked_for(owner, admin, "Onboarding call", 10, email="jane@client.test",
               firstname="Jane", lastname="Smith")

    sign_in(page, server, admin)
    assert header(page) == "Termin · Acme"
    assert "Onboarding call" in upcoming(page) and "Jane Smith" in upcoming(page)
    assert "Globex" not in page.content()

    page.locator("#upcoming-module").get_by_role("link", name="Onboarding call").click()
    page.wait_for_url(re.compile(r"/admin/scheduling/appointment/\d+/change/"))
    assert "jane@client.test" in page.content()
    assert "Globex" not in page.content()  # not even among the meeting types to pick

    page.goto(f"{server}/admin/")
    page.get_by_role("link", name="Appointments", exact=True).click()
    page.wait_for_url(f"{server}/admin/scheduling/appointment/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Onboarding call" in rows.first.inner_text()

    page.goto(f"{server}/admin/")
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.wait_for_url(f"{server}/admin/crm/contact/")
    listing = page.locator("#result_list").inner_text()
    assert "jane@client.test" in listing
    for foreign in ("Globex", "wile@coyote.test", "road@runner.test", "boss@globex.test"):
        assert foreign not in page.content(), foreign


def test_another_company_s_contact_cannot_be_opened_by_its_address(server, page, owner, globex):
    admin = with_hours(make_member(owner, Role.ADMIN))
    wile = Contact.objects.get(company=globex, email="wile@coyote.test")
    sign_in(page, server, admin)
    page.goto(f"{server}/admin/crm/contact/{wile.pk}/change/")
    assert page.url == f"{server}/admin/"  # Django's "doesn't exist" message, at home
    assert "wile@coyote.test" not in page.content() and "Coyote" not in page.content()


def test_a_member_sees_their_own_day_and_not_the_admins_sections(server, page, owner, globex):
    member = with_hours(make_member(owner, Role.MEMBER))
    with_hours(owner)
    booked_for(owner, member, "Member's demo", 10, email="kim@client.test", firstname="Kim",
               lastname="Lee")
    booked_for(owner, owner, "Owner's review", 12, email="lou@client.test", firstname="Lou",
               lastname="Ray")

    sign_in(page, server, member)
    assert header(page) == "Termin · Acme"
    assert "Member's demo" in upcoming(page) and "Owner's review" not in upcoming(page)
    assert admin_links(page, "webhooks/", "scheduling/membership/", "crm/auditlogentry/") == 0
    for refused in ("webhooks/webhookendpoint/", "scheduling/membership/",
                    "crm/auditlogentry/"):
        assert page.goto(f"{server}/admin/{refused}").status == 403, refused

    page.goto(f"{server}/admin/")
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.wait_for_url(f"{server}/admin/crm/contact/")
    listing = page.locator("#result_list").inner_text()
    assert "kim@client.test" in listing and "lou@client.test" in listing
    assert "wile@coyote.test" not in page.content()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_person_in_two_companies_switches_with_the_header_s_switcher(
        server, browser, owner, globex, javascript):
    with_hours(owner)
    Membership.objects.create(company=globex, user=owner.user, role=Role.MEMBER)
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
    page = context.new_page()

    sign_in(page, server, owner)
    assert header(page) == "Termin · Acme"
    page.locator("#company-switch").select_option(label="Globex (Member)")
    if not javascript:
        page.get_by_role("button", name="Switch").click()
    page.get_by_text("You are working in Globex.").wait_for()
    assert header(page) == "Termin · Globex"
    page.goto(f"{server}/admin/crm/contact/")
    assert "wile@coyote.test" in page.locator("#result_list").inner_text()
    page.reload()
    assert header(page) == "Termin · Globex"  # remembered
    context.close()


def test_the_sign_in_page_offers_a_password_reset(server, page):
    page.goto(f"{server}/admin/login/")
    # Django's own words: "Forgotten your login credentials?" in the Django we run.
    page.get_by_role("link", name=re.compile(r"^Forgotten your")).click()
    page.wait_for_url(f"{server}/admin/password_reset/")
    assert page.get_by_label(re.compile("Email")).is_visible()
