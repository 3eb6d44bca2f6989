"""Usage metering: bookings created through the API, per company and month."""

import datetime as dt

import pytest

from scheduling.models import Appointment, AppointmentSource
from scheduling.services import bookings
from scheduling.services.appointments import usage_by_month
from tests.conftest import client_for
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import at, book, utc_host


@pytest.fixture
def meeting_type(owner):
    return make_meeting_type(utc_host(owner))


def test_api_bookings_count_in_the_month_they_were_made(api, meeting_type, company):
    day = monday_after(7)
    for hour in (9, 10):
        assert book(api, meeting_type, at(day, hour)).status_code == 201
    cancelled = Appointment.objects.first()
    api.delete(f"/v4/appointment/{cancelled.uuid}")  # a booking made still counts
    bookings.booking_create(company=company, meeting_type=meeting_type,
                            start=dt.datetime.fromisoformat(at(day, 11)),
                            attendee=bookings.AttendeeInput(email="p@x.test", first_name="P"),
                            source=AppointmentSource.PAGE)
    body = api.get("/v4/usage").json()
    assert body["timezone"] == company.timezone
    assert len(body["months"]) == 12
    this_month = body["months"][-1]
    assert this_month["bookings"] == 2
    assert body["total"] == 2
    assert this_month["periodStart"].endswith(("+01:00", "+02:00"))


def test_months_are_read_in_the_companys_time_zone(meeting_type, company):
    result = bookings.booking_create(
        company=company, meeting_type=meeting_type,
        start=dt.datetime.fromisoformat(at(monday_after(7), 9)),
        attendee=bookings.AttendeeInput(email="n@x.test", first_name="N"))
    # 23:30 UTC on 31 January is already February in Berlin.
    Appointment.objects.filter(pk=result.appointment.pk).update(
        created_at=dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC))
    rows = usage_by_month(company=company, first=dt.date(2025, 1, 1), last=dt.date(2025, 2, 1))
    assert [(r["month"], r["bookings"]) for r in rows] == [("2025-01", 0), ("2025-02", 1)]


def test_usage_takes_a_month_range(api):
    body = api.get("/v4/usage", {"from": "2024-11", "to": "2025-02"}).json()
    assert [m["month"] for m in body["months"]] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    for bad in ({"from": "2024-13"}, {"to": "2024"}, {"from": "2025-03", "to": "2025-01"},
                {"from": "2020-01", "to": "2025-01"}):
        response = api.get("/v4/usage", bad)
        assert response.status_code == 400, bad
        assert response.json()["statusCode"] == 400


def test_another_companys_bookings_do_not_count(api, meeting_type, other_company):
    book(api, meeting_type, at(monday_after(7), 9))
    assert client_for(other_company[1]).get("/v4/usage").json()["total"] == 0
    assert api.get("/v4/usage").json()["total"] == 1
