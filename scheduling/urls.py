"""Routes of the public pages. Included last in the root URLs: ``/<slug>`` is a
user's booking page, so every other top-level path must match first (and is a
reserved slug, ``models.RESERVED_SLUGS``)."""

from django.urls import path, register_converter
from django.urls.converters import SlugConverter

from . import views
from .models import RESERVED_SLUGS


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
    path("manage/<str:token>", views.manage_page, name="manage"),
    path("manage/<str:token>/booked", views.booked_page, name="booked"),
    path("manage/<str:token>/invite.ics", views.ics_download, name="ics"),
    path("manage/<str:token>/cancel", views.cancel_page, name="cancel"),
    path("manage/<str:token>/reschedule", views.reschedule_page, name="reschedule"),
    path("optin/<str:token>", views.optin_page, name="optin"),
    path("host/<str:token>", views.host_page_decision, name="host-decision"),
    path("rooms/<slug:company_slug>/<slug:name>", views.room_named, name="room"),
    path("rooms/<str:room_token>", views.room_of_booking, name="booking-room"),
    path("<slug:user_slug>", views.host_page, name="host"),  # redirects reserved ones
    path("<user:user_slug>/<slug:type_slug>", views.meeting_type_page, name="meeting-type"),
    path("<user:user_slug>/<slug:type_slug>/book", views.book_page, name="book"),
]
