"""The booking pages through Django's test client: plain GETs and form posts,
as a browser without JavaScript sends them."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import icalendar

from crm.models import Contact
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from tests.pages.conftest import berlin, book, next_weekday


def _times(html: str) -> list[str]:
    return re.findall(r'class="slot" href="[^"]*" rel="nofollow" data-time="[^"]*">([0-9:]+)<',
                      html)


def _page_of_day(client, meeting_type, day: dt.date, tz: str = "Europe/Berlin"):
    return client.get(f"/{meeting_type.owner.slug}/{meeting_type.slug}",
                      {"tz": tz, "month": f"{day:%Y-%m}", "date": day.isoformat()})


def test_host_page_lists_the_meeting_types_of_the_host(client, meeting_type):
    response = client.get(f"/{meeting_type.owner.slug}")
    assert response.status_code == 200
    assert "Intro call" in response.content.decode()
    assert f'href="/{meeting_type.owner.slug}/intro"' in response.content.decode()
    asked = client.get(f"/{meeting_type.owner.slug}", {"tz": "Asia/Tokyo"}).content.decode()
    assert f'href="/{meeting_type.owner.slug}/intro?tz=Asia%2FTokyo"' in asked


def test_an_unknown_host_is_a_404_page(client, db):
    assert client.get("/nobody-here").status_code == 404


def test_a_reserved_path_without_its_slash_leads_to_its_own_page(client, db):
    response = client.get("/admin")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_meeting_type_page_shows_the_days_free_times_in_the_asked_zone(client, meeting_type):
    day = next_weekday()
    html = _page_of_day(client, meeting_type, day).content.decode()
    times = _times(html)
    assert times[0] == "09:00" and times[-1] == "16:30" and len(times) == 16
    assert "A first talk about your plans." in html


def test_another_time_zone_shifts_the_shown_times(client, meeting_type):
    day = next_weekday()
    berlin_times = _times(_page_of_day(client, meeting_type, day).content.decode())
    tokyo = _times(_page_of_day(client, meeting_type, day, "Asia/Tokyo").content.decode())
    assert berlin_times[0] == "09:00"
    # Berlin's 09:00 is 16:00 or 17:00 in Tokyo (7 or 8 hours ahead).
    assert ("16:00" in tokyo or "17:00" in tokyo) and "09:00" not in tokyo


def test_a_browser_alias_of_a_time_zone_is_accepted(client, meeting_type):
    day = next_weekday()
    response = _page_of_day(client, meeting_type, day, "Asia/Katmandu")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Asia/Kathmandu" selected>' in html
    assert _times(html)[0] in ("12:45", "13:45")  # +05:45 against Berlin's +02:00 or +01:00


def test_the_time_zone_is_kept_in_every_link_of_the_calendar(client, meeting_type):
    html = _page_of_day(client, meeting_type, next_weekday(), "America/New_York").content.decode()
    day_links = re.findall(r'class="day is-free[^"]*" href="([^"]+)"', html)
    assert day_links and all("tz=America%2FNew_York" in link for link in day_links)


def test_a_day_without_hours_offers_no_times(client, meeting_type):
    day = next_weekday()
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    html = _page_of_day(client, meeting_type, saturday).content.decode()
    assert f'aria-label="{saturday:%A}, {saturday.day} {saturday:%B}' not in html


def _book_url(client, meeting_type, day):
    html = _page_of_day(client, meeting_type, day).content.decode()
    return re.search(r'class="slot" href="([^"]+)"', html).group(1).replace("&amp;", "&")


def _form_data(url: str, **extra) -> dict:
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return {"start": query["start"], "tz": query["tz"], "duration": query["duration"],
            "name": "Grace Hopper", "email": "grace@example.com", "q_company": "Navy",
            "channel": "connect", **extra}


def test_booking_through_the_form_confirms_and_records_the_contact(client, meeting_type):
    url = _book_url(client, meeting_type, next_weekday())
    form_page = client.get(url)
    assert form_page.status_code == 200 and 'name="q_company"' in form_page.content.decode()
    response = client.post(url, _form_data(url))
    assert response.status_code == 302 and "/booked" in response["Location"]
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.source == AppointmentSource.PAGE
    assert appointment.attendees.get().notes == {"company": "Navy"}
    assert appointment.meeting_link.endswith(f"/rooms/{appointment.room_token}")
    contact = Contact.objects.get(email="grace@example.com")
    assert contact.events.filter(event_type="booking").count() == 1
    confirmation = client.get(response["Location"]).content.decode()
    assert "You are scheduled" in confirmation and "Add to Google Calendar" in confirmation


def test_missing_answers_are_shown_beside_their_fields(client, meeting_type):
    url = _book_url(client, meeting_type, next_weekday())
    response = client.post(url, _form_data(url, name="", email="not-an-email", q_company=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email-error"' in html and 'id="id_q_company-error"' in html
    assert 'aria-describedby="id_name-error"' in html
    assert not Appointment.objects.exists()


def test_a_time_taken_meanwhile_offers_the_next_free_times(client, meeting_type):
    day = next_weekday()
    url = _book_url(client, meeting_type, day)
    book(meeting_type, berlin(day, 9), email="first@example.com")
    response = client.post(url, _form_data(url))
    html = response.content.decode()
    assert response.status_code == 200
    assert "someone just booked that time" in html
    choices = re.findall(r'type="radio" name="start" value="([^"]+)"', html)
    assert len(choices) == 6 and dt.datetime.fromisoformat(choices[0]) == berlin(day, 9, 30)
    assert 'value="Grace Hopper"' in html  # the details are kept
    again = client.post(url, _form_data(url, start=choices[0]))
    assert again.status_code == 302
    assert Appointment.objects.filter(start=berlin(day, 9, 30)).exists()


def test_the_confirmation_offers_a_valid_ics_file(client, meeting_type):
    url = _book_url(client, meeting_type, next_weekday())
    booked = client.post(url, _form_data(url))["Location"]
    page = client.get(booked).content.decode()
    ics_url = re.search(r'href="([^"]+\.ics)"', page).group(1)
    response = client.get(ics_url)
    assert response["Content-Type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    appointment = Appointment.objects.get()
    assert event.decoded("dtstart") == appointment.start
    assert event.decoded("dtend") == appointment.end
    assert str(event["location"]) == appointment.meeting_link
    assert "Intro call" in str(event["summary"])


def test_cancelling_through_the_manage_link_frees_the_time(client, meeting_type):
    day = next_weekday()
    appointment = book(meeting_type, berlin(day, 10))
    from tests.pages.conftest import manage_path

    manage = client.get(manage_path(appointment))
    assert "Cancel booking" in manage.content.decode()
    cancel = re.search(r'action="([^"]+/cancel)"', manage.content.decode()).group(1)
    response = client.post(cancel, {"reason": "Something came up", "tz": "Europe/Berlin"},
                           follow=True)
    assert "has been cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "Something came up"
    assert "10:00" in _times(_page_of_day(client, meeting_type, day).content.decode())


def test_rescheduling_picks_a_new_time_and_moves_the_booking(client, meeting_type):
    day = next_weekday()
    appointment = book(meeting_type, berlin(day, 10))
    from tests.pages.conftest import manage_path

    path = manage_path(appointment) + "/reschedule"
    calendar = client.get(path, {"month": f"{day:%Y-%m}", "date": day.isoformat()})
    links = re.findall(r'class="slot" href="([^"]+)"', calendar.content.decode())
    target = next(link for link in links if "T14%3A00" in link or "T12%3A00" in link
                  ).replace("&amp;", "&")
    confirm = client.get(target)
    assert "Confirm the new time" in confirm.content.decode()
    start = re.search(r'name="start" value="([^"]+)"', confirm.content.decode()).group(1)
    response = client.post(target, {"start": start, "tz": "Europe/Berlin"}, follow=True)
    assert "moved to the new time" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime.fromisoformat(start)


def test_a_page_never_books_a_time_outside_the_hours(client, meeting_type):
    day = next_weekday()
    start = berlin(day, 20).isoformat()
    url = f"/{meeting_type.owner.slug}/{meeting_type.slug}/book"
    response = client.post(url, _form_data(f"{url}?start={start}&tz=Europe/Berlin&duration=30"))
    assert response.status_code == 200
    assert not Appointment.objects.exists()


def test_a_tampered_manage_link_shows_a_friendly_page(client, meeting_type):
    response = client.get("/manage/not-a-real-token")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


def test_forms_are_protected_against_cross_site_posts(meeting_type):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    day = next_weekday()
    url = _book_url(strict, meeting_type, day)
    assert strict.post(url, _form_data(url)).status_code == 403
    assert not Appointment.objects.exists()


def test_unknown_api_paths_stay_json_404s_and_never_reach_a_page(client, db):
    response = client.post("/v4/no-such/thing/book", {"x": 1})
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_a_name_with_a_newline_is_folded_onto_one_line(client, meeting_type):
    url = _book_url(client, meeting_type, next_weekday())
    data = {**_form_data(url), "name": "Grace\r\nBcc: victim@example.com"}
    assert client.post(url, data).status_code == 302
    attendee = Appointment.objects.get().attendees.get()
    assert "\n" not in attendee.full_name and "\r" not in attendee.full_name
    assert attendee.full_name.startswith("Grace Bcc:")
