"""Booking limits on the booking pages: a full period is not offered, an email at
its limit is told so beside its field, and the manage link's reschedule keeps the
appointment's own booking out of the count."""

import datetime as dt
import re

from scheduling.models import Appointment
from scheduling.services.meeting_types import meeting_type_update
from tests.pages.conftest import berlin, book, manage_path, next_weekday
from tests.pages.test_booking_pages import _book_url, _form_data, _page_of_day, _times


def limit(scope: str, period: str, most: int = 1) -> dict:
    return {"scope": scope, "period": period, "max": most}


def limited(meeting_type, *limits):
    return meeting_type_update(meeting_type=meeting_type, actor=meeting_type.owner.memberships
                               .get(company=meeting_type.company), booking_limits=list(limits))


def test_a_day_at_its_limit_offers_no_times_on_the_page(client, meeting_type):
    day = next_weekday()
    limited(meeting_type, limit("meetingType", "day"))
    label = f'aria-label="{day:%A}, {day.day} {day:%B}'
    before = _page_of_day(client, meeting_type, day).content.decode()
    assert len(_times(before)) == 16 and label in before
    book(meeting_type, berlin(day, 9))
    html = _page_of_day(client, meeting_type, day).content.decode()
    assert label not in html  # the day is no longer offered


def test_an_email_at_its_limit_is_told_beside_the_email_field(client, meeting_type):
    day = next_weekday()
    limited(meeting_type, limit("attendeeEmail", "year"))
    book(meeting_type, berlin(day, 9), email="grace@example.com")
    url = _book_url(client, meeting_type, day)
    response = client.post(url, _form_data(url))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email-error"' in html
    assert "Booking limit reached: 1 booking per year of this meeting type per email" in html
    other = client.post(url, _form_data(url, email="ada@example.org"))
    assert other.status_code == 302
    assert Appointment.objects.count() == 2


def test_the_manage_link_offers_and_moves_within_a_weekly_limit(client, meeting_type):
    day = next_weekday(7)
    limited(meeting_type, limit("meetingType", "week"))
    appointment = book(meeting_type, berlin(day, 10))
    path = manage_path(appointment) + "/reschedule"
    calendar = client.get(path, {"month": f"{day:%Y-%m}", "date": day.isoformat()})
    # Its own booking does not fill the week it is in: the day offers its times.
    times = re.findall(r'class="slot" href="([^"]+)"', calendar.content.decode())
    assert len(times) == 16
    target = next(link for link in times if "T12%3A00" in link or "T14%3A00" in link)
    confirm = client.get(target.replace("&amp;", "&"))
    start = re.search(r'name="start" value="([^"]+)"', confirm.content.decode()).group(1)
    response = client.post(target.replace("&amp;", "&"), {"start": start, "tz": "Europe/Berlin"},
                           follow=True)
    assert "moved to the new time" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime.fromisoformat(start)
