"""Routes of the public pages. Included last in the root URLs: ``/<slug>`` is a
user's booking page, so every other top-level path must match first (and is a
reserved slug, ``models.RESERVED_SLUGS``)."""

from django.urls import path, register_converter
from django.urls.converters import SlugConverter

from ..models import RESERVED_SLUGS
from . import attendee, booking, feeds, host, one_time, rooms


class UserSlugConverter(SlugConverter):
    """A user's slug: never a reserved top-level path, so ``/v4/...`` or ``/api/...``
    that match nothing else stay the API's 404 instead of reaching a page."""

    def to_python(self, value: str) -> str:
        if value in RESERVED_SLUGS:
            raise ValueError(value)
        return value


register_converter(UserSlugConverter, "user")

app_name = "pages"

urlpatterns = [
    # A user's secret appointments feed for calendar apps (scheduling/services/calendars.py).
    path("feeds/<str:token>.ics", feeds.appointments_feed, name="calendar-feed"),
    path("manage/<str:token>", attendee.manage_page, name="manage"),
    path("manage/<str:token>/booked", attendee.booked_page, name="booked"),
    path("manage/<str:token>/invite.ics", attendee.ics_download, name="ics"),
    path("manage/<str:token>/cancel", attendee.cancel_page, name="cancel"),
    path("manage/<str:token>/reschedule", attendee.reschedule_page, name="reschedule"),
    path("optin/<str:token>", attendee.optin_page, name="optin"),
    path("host/<str:token>", host.host_decision_page, name="host-decision"),
    path("rooms/<slug:company_slug>/<slug:name>", rooms.room_named, name="room"),
    path("rooms/<str:room_token>", rooms.room_of_booking, name="booking-room"),
    path("1t/<str:token>", one_time.one_time_page, name="one-time"),
    path("1t/<str:token>/book", one_time.one_time_book_page, name="one-time-book"),
    path("<slug:user_slug>", host.host_page, name="host"),  # redirects reserved ones
    path("<user:user_slug>/<slug:type_slug>", booking.meeting_type_page, name="meeting-type"),
    path("<user:user_slug>/<slug:type_slug>/book", booking.book_page, name="book"),
]
