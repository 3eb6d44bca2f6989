"""Helpers of the CalDAV tests: an account on the test's Radicale connected to a
member, and events written on the server's side."""

import datetime as dt
from dataclasses import dataclass

from scheduling.models import CalDAVCalendar, CalendarConnection
from scheduling.services import caldav
from tests.calendars.conftest import calendar, ics_utc
from tests.calendars.radicale import Radicale


@dataclass
class Connected:
    connection: CalendarConnection
    username: str
    password: str
    urls: dict[str, str]  # calendar slug -> URL on the server

    def calendar(self, slug: str) -> CalDAVCalendar:
        return CalDAVCalendar.objects.get(connection=self.connection, url=self.urls[slug])


def connect_caldav(membership, server: Radicale, *slugs: str, url: str | None = None
                   ) -> Connected:
    """A new account with a calendar per slug (``work``: "Work", ...), connected to the
    member. The first calendar receives bookings, as discovery makes it."""
    username, password = server.account()
    urls = {slug: server.make_calendar(username, slug, slug.title()) for slug in slugs or ("work",)}
    connection = caldav.connection_create(company=membership.company, user=membership.user,
                                          url=url or server.url, username=username,
                                          password=password)
    return Connected(connection, username, password, urls)


def busy_event(uid: str, start: dt.datetime, minutes: int = 60, *extra: str) -> str:
    lines = "\n".join([f"UID:{uid}", "SUMMARY:Busy", f"DTSTART:{ics_utc(start)}",
                       f"DTEND:{ics_utc(start + dt.timedelta(minutes=minutes))}", *extra])
    return calendar(lines)
