"""A one-time booking link's pages: the meeting type's month and form at
``/1t/<token>``, which book once; afterwards, or once expired, a friendly page in
the attendee's language."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from scheduling.models import Appointment, AppointmentSource, OneTimeBookingLink
from scheduling.services import one_time_links
from tests.pages.conftest import next_weekday


@pytest.fixture
def link(meeting_type, host):
    return one_time_links.one_time_link_create(meeting_type=meeting_type, actor=host)


def _book_url(client, link) -> str:
    day = next_weekday()
    html = client.get(f"/1t/{link.token}", {"tz": "Europe/Berlin", "month": f"{day:%Y-%m}",
                                            "date": day.isoformat()}).content.decode()
    return re.search(r'class="slot" href="([^"]+)"', html).group(1).replace("&amp;", "&")


def _form(url: str, email: str = "grace@example.com") -> dict:
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return {"start": query["start"], "tz": query["tz"], "duration": query["duration"],
            "name": "Grace Hopper", "email": email, "q_company": "Navy", "channel": "connect"}


def test_the_link_shows_the_meeting_types_times_leading_to_its_own_form(client, link):
    url = _book_url(client, link)
    assert url.startswith(f"/1t/{link.token}/book?")
    form = client.get(url)
    assert form.status_code == 200 and "Intro call" in form.content.decode()


def test_the_link_books_once_then_shows_that_it_was_used(client, link):
    url = _book_url(client, link)
    booked = client.post(url, _form(url))
    assert booked.status_code == 302 and "/booked" in booked["Location"]
    appointment = Appointment.objects.get()
    assert appointment.source == AppointmentSource.PAGE
    link.refresh_from_db()
    assert link.used_at is not None and link.appointment == appointment

    again = client.post(url, _form(url, email="someone@else.test"))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert client.get(f"/1t/{link.token}").status_code == 410
    assert Appointment.objects.count() == 1


def test_the_used_page_speaks_german(client, link):
    OneTimeBookingLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    page = client.get(f"/1t/{link.token}", HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 410
    assert "Dieser Link wurde bereits verwendet" in page.content.decode()


def test_an_expired_link_shows_the_expired_page_in_english_and_german(client, link):
    url = _book_url(client, link)
    past = timezone.now() - dt.timedelta(minutes=1)
    OneTimeBookingLink.objects.filter(pk=link.pk).update(expires_at=past)
    english = client.get(f"/1t/{link.token}")
    assert english.status_code == 410 and "has expired" in english.content.decode()
    german = client.get(f"/1t/{link.token}", HTTP_ACCEPT_LANGUAGE="de")
    assert "Dieser Link ist abgelaufen" in german.content.decode()
    posted = client.post(url, _form(url))
    assert posted.status_code == 410 and not Appointment.objects.exists()


def test_an_unknown_link_is_a_404_page(client, db):
    assert client.get("/1t/no-such-token").status_code == 404


def test_the_meeting_types_own_page_stays_reusable(client, link, meeting_type):
    url = _book_url(client, link)
    client.post(url, _form(url))
    own = client.get(f"/{meeting_type.owner.slug}/{meeting_type.slug}")
    assert own.status_code == 200
