"""The admin's scheduling screens: lists render, and saving goes through the same
checks and services as the API."""

import datetime as dt
import json
import re

import pytest

from scheduling.models import AvailabilitySchedule, MeetingType
from scheduling.services.bookings import AttendeeInput, booking_create
from tests.conftest import make_company
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after, nine_to_five
from tests.scheduling.test_bookings import at

pytestmark = pytest.mark.django_db


def schedule_form(owner, **overrides):
    data = {
        "company": owner.company.pk, "user": owner.user.pk, "name": "Admin hours",
        "timezone": "Europe/Berlin", "is_default": "on", "weekly": json.dumps(nine_to_five()),
        "overrides-TOTAL_FORMS": "1", "overrides-INITIAL_FORMS": "0",
        "overrides-MIN_NUM_FORMS": "0", "overrides-MAX_NUM_FORMS": "1000",
        "overrides-0-date": "2030-12-24", "overrides-0-intervals": "[]",
    }
    data.update(overrides)
    return data


def test_the_scheduling_lists_render(staff_client, owner):
    make_meeting_type(owner)
    make_schedule(owner)
    for name in ("meetingtype", "queue", "availabilityschedule", "busytime"):
        assert staff_client.get(f"/admin/scheduling/{name}/").status_code == 200
    meeting_type = MeetingType.objects.get()
    change = f"/admin/scheduling/meetingtype/{meeting_type.pk}/change/"
    assert staff_client.get(change).status_code == 200


def test_a_schedule_added_in_the_admin_becomes_the_default_with_its_override(staff_client, owner):
    old = make_schedule(owner)
    response = staff_client.post("/admin/scheduling/availabilityschedule/add/",
                                 schedule_form(owner))
    assert response.status_code == 302
    new = AvailabilitySchedule.objects.get(name="Admin hours")
    old.refresh_from_db()
    assert new.is_default and not old.is_default
    assert [(str(o.date), o.intervals) for o in new.overrides.all()] == [("2030-12-24", [])]


def test_the_admin_refuses_overlapping_hours(staff_client, owner):
    weekly = {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
    response = staff_client.post("/admin/scheduling/availabilityschedule/add/",
                                 schedule_form(owner, weekly=json.dumps(weekly)))
    assert response.status_code == 200
    assert "weekly.monday.1: The interval overlaps another one" in response.content.decode()
    assert not AvailabilitySchedule.objects.exists()


def test_the_admin_refuses_a_video_channel_without_its_link(staff_client, owner):
    meeting_type = make_meeting_type(owner)
    url = f"/admin/scheduling/meetingtype/{meeting_type.pk}/change/"
    data = {
        "company": owner.company.pk, "owner": owner.user.pk, "title": "T", "slug": "t",
        "hosts": [owner.user.pk], "durations": "[30]", "default_duration": "30",
        "buffer_before": "0", "buffer_after": "0", "minimum_notice": "0",
        "channels": '["zoom"]', "locations": "[]", "form_fields": "[]",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "channels.0: zoom needs a location with its link" in response.content.decode()
    data["locations"] = '[{"channel": "zoom", "link": "https://zoom.us/j/1"}]'
    assert staff_client.post(url, data).status_code == 302
    meeting_type.refresh_from_db()
    assert meeting_type.channels == ["zoom"]


def test_the_admin_shows_why_each_time_of_a_day_is_not_offered(staff_client, owner):


    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner, booking_limits=[
        {"scope": "meetingType", "period": "day", "max": 1}])
    day = monday_after(7)
    booking_create(company=owner.company, meeting_type=meeting_type,
                   start=dt.datetime.fromisoformat(at(day, 9)),
                   attendee=AttendeeInput(email="a@x.test", first_name="A"))
    change = staff_client.get(f"/admin/scheduling/meetingtype/{meeting_type.pk}/change/")
    url = f"/admin/scheduling/meetingtype/{meeting_type.pk}/troubleshoot/"
    assert url in change.content.decode()
    html = staff_client.get(url, {"date": str(day)}).content.decode()
    rows = re.findall(r'<tr class="(free|refused)">\s*<td>([0-9:]+)</td>\s*<td>\w+</td>\s*'
                      r"<td>([^<]*)</td>", html)
    assert len(rows) == 48  # every half hour of the day
    why = {time: text for _, time, text in rows}
    assert why["08:00"] == "Olivia Owner: outsideHours"
    assert why["10:00"] == ("Olivia Owner: limit (1 booking per day of this meeting type "
                            "for this host)")
    following = staff_client.get(url, {"date": str(day + dt.timedelta(days=1))})
    assert re.search(r'<tr class="free">\s*<td>09:00</td>', following.content.decode())


def test_the_troubleshoot_page_is_scoped_to_the_staff_members_company(client, owner):

    _, other = make_company(name="Other", owner_email="o@other.test")
    other.user.is_staff = True
    other.user.save(update_fields=["is_staff"])
    client.force_login(other.user)
    meeting_type = make_meeting_type(owner)
    response = client.get(f"/admin/scheduling/meetingtype/{meeting_type.pk}/troubleshoot/")
    assert response.status_code in (403, 404)


def test_booking_limits_are_set_in_the_admin_with_the_services_checks(staff_client, owner):
    meeting_type = make_meeting_type(owner)
    url = f"/admin/scheduling/meetingtype/{meeting_type.pk}/change/"
    data = {
        "company": owner.company.pk, "title": "T", "slug": "t", "hosts": [owner.user.pk],
        "durations": "[30]", "default_duration": "30", "buffer_before": "0",
        "buffer_after": "0", "minimum_notice": "0", "channels": '["connect"]',
        "locations": "[]", "form_fields": "[]",
        "booking_limits": '[{"scope": "host", "period": "fortnight", "max": 3}]',
    }
    refused = staff_client.post(url, data)
    assert "bookingLimits.0.period: Use one of day, week, month, year" in refused.content.decode()
    data["booking_limits"] = '[{"scope": "host", "period": "week", "max": 3}]'
    assert staff_client.post(url, data).status_code == 302
    meeting_type.refresh_from_db()
    assert meeting_type.booking_limits == [
        {"scope": "host", "period": "week", "max": 3, "unit": "bookings"}]
