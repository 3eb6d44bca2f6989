"""Helpers shared by the calendar tests."""

import datetime as dt
from zoneinfo import ZoneInfo

from scheduling.models import CalendarConnection
from scheduling.services.calendars import connection_create, connection_sync

BERLIN = ZoneInfo("Europe/Berlin")


def connect(membership, url: str, name: str = "Work") -> CalendarConnection:
    """Connect ``url`` to the member and read it once (as the queued task would)."""
    connection = connection_create(company=membership.company, user=membership.user, url=url,
                                   name=name)
    return connection_sync(connection_id=connection.pk)


def next_dst_start(zone=BERLIN, after: dt.date | None = None) -> dt.date:
    """The next date on which ``zone`` moves its clocks forward."""
    day = after or dt.date.today()
    for _ in range(400):
        day += dt.timedelta(days=1)
        before = dt.datetime.combine(day, dt.time(0), zone).utcoffset()
        after_noon = dt.datetime.combine(day, dt.time(12), zone).utcoffset()
        if after_noon > before:
            return day
    raise AssertionError("no DST change within a year")


def local_slots(client, meeting_type, day: dt.date, zone=BERLIN) -> list[str]:
    """The local start times (HH:MM) of the meeting type's free slots on ``day``."""
    response = client.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": str(day), "end": str(day),
        "timezone": str(zone)})
    assert response.status_code == 200, response.json()
    return [dt.datetime.fromisoformat(slot["start"]).astimezone(zone).strftime("%H:%M")
            for slot in response.json()["availableSlots"]]


def half_hours(start: str, end: str) -> list[str]:
    """``HH:MM`` every 30 minutes from ``start`` up to (not including) ``end``."""
    out, moment = [], dt.datetime.strptime(start, "%H:%M")
    stop = dt.datetime.strptime(end, "%H:%M")
    while moment < stop:
        out.append(moment.strftime("%H:%M"))
        moment += dt.timedelta(minutes=30)
    return out
