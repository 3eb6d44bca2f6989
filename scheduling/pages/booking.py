"""A meeting type's page (a month of free times in the attendee's zone, then the
chosen day's times) and the booking form, which books through ``booking_create``."""

import datetime as dt
import zoneinfo

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import links, publiclimits
from .. import selectors as scheduling_selectors
from ..choices import Channel
from ..clientaddr import client_address
from ..core.errors import DomainError
from ..core.timeutils import get_zone
from ..forms import BookingForm
from ..models import AppointmentSource, MeetingType
from ..services.bookings import (
    AttendeeInput,
    HoldLimitReached,
    booking_create,
    split_name,
)
from ..services.one_time_links import LinkSpent
from ..services.rules import SlotTaken
from . import selectors
from .common import (
    bot_refusal,
    caught_bot,
    duration_asked,
    limited_posts,
    link_spent,
    message,
    page,
    query,
    start_asked,
    too_many,
    zone_asked,
)
from .month import build_calendar, next_free_slots


def channels_label(meeting_type: MeetingType) -> str:
    labels = dict(Channel.choices)
    return ", ".join(str(labels.get(c, c)) for c in meeting_type.channels or [Channel.CONNECT])


def meeting_type_page(request, user_slug: str, type_slug: str):
    """A month of days with free times in the attendee's zone, then the chosen day's times."""
    user, meeting_type = selectors.meeting_type_of_page(user_slug, type_slug)
    return month_page(request, user, meeting_type,
                      base=reverse("pages:meeting-type", args=[user.slug, meeting_type.slug]),
                      book=reverse("pages:book", args=[user.slug, meeting_type.slug]))


def month_page(request, user, meeting_type: MeetingType, *, base: str, book: str):
    """The month of ``meeting_type`` at ``base``, its times leading to ``book``."""
    zone = zone_asked(request, scheduling_selectors.hours_zone(meeting_type))
    duration = duration_asked(request, meeting_type)
    try:
        cal = build_calendar(request, meeting_type, zone=zone, duration=duration, base_url=base,
                             time_url=lambda slot: book + query(
                                 start=slot.start.isoformat(), tz=zone, duration=duration))
    except DomainError as error:
        return message(request, _("This page cannot show times"), error.message, status=400)
    return page(request, "scheduling/meeting_type.html", {
        "host": user, "meeting_type": meeting_type, "duration": duration, "calendar": cal,
        "hosts": scheduling_selectors.meeting_type_hosts(meeting_type), "base_url": base,
        "channel_label": channels_label(meeting_type),
        "durations": [(d, base + query(tz=zone, duration=d)) for d in meeting_type.durations],
        "zones": zone_choices(zone), "detect_zone": "tz" not in request.GET,
    }, zone=zone)


@require_http_methods(["GET", "POST"])
@limited_posts
def book_page(request, user_slug: str, type_slug: str):
    """The chosen time and the booking form; a POST books through ``booking_create``."""
    user, meeting_type = selectors.meeting_type_of_page(user_slug, type_slug)
    return form_page(request, user, meeting_type,
                     back=reverse("pages:meeting-type", args=[user.slug, meeting_type.slug]))


def form_page(request, user, meeting_type: MeetingType, *, back: str, link=None):
    """The booking form of ``meeting_type`` for the asked time (none: back to the
    month at ``back``); a POST books, through the one-time ``link`` when given."""
    zone = zone_asked(request, scheduling_selectors.hours_zone(meeting_type))
    duration = duration_asked(request, meeting_type)
    start = start_asked(request)
    if start is None:
        return redirect(back + query(tz=zone, duration=duration))
    local = start.astimezone(get_zone(zone))
    context = {"host": user, "meeting_type": meeting_type, "duration": duration,
               "start": start, "end": start + dt.timedelta(minutes=duration),
               "hosts": scheduling_selectors.meeting_type_hosts(meeting_type),
               "channel_label": channels_label(meeting_type),
               "back_url": back + query(tz=zone, duration=duration, month=f"{local:%Y-%m}",
                                        date=f"{local:%Y-%m-%d}")}
    if request.method == "GET":
        form = BookingForm(meeting_type=meeting_type)
        return page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
    return _book_posted(request, meeting_type, context, zone=zone, link=link)


def _book_posted(request, meeting_type: MeetingType, context: dict, *, zone: str, link=None):
    """The booking form sent: book, or show why not (a form error, a limit, a time
    someone else just took with the next free ones)."""
    start, duration = context["start"], context["duration"]
    form = BookingForm(request.POST, meeting_type=meeting_type)
    if caught_bot(request, form):
        return bot_refusal(request)
    if not form.is_valid():
        return page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
    wait = publiclimits.email_wait(form.cleaned_data["email"], publiclimits.BOOKING)
    if wait:
        return too_many(request, wait, "email")
    try:
        result = _book(form, meeting_type, start=start, duration=duration, zone=zone,
                       address=client_address(request), link=link)
    except LinkSpent as spent:
        return link_spent(request, spent.state)
    except HoldLimitReached as refusal:
        return too_many(request, refusal.retry_after, "holds")
    except DomainError as error:
        if not isinstance(error, SlotTaken) or error.field != "start":
            form.add_error(form.error_field(error.field), error.message)
            return page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
        free = next_free_slots(meeting_type, after=start, zone=zone, duration=duration)
        return page(request, "scheduling/book.html", {
            **context, "form": form, "taken": True, "next_free": free,
        }, zone=zone)
    token = links.make_token(result.appointment, links.MANAGE)
    return redirect(reverse("pages:booked", args=[token]) + query(tz=zone), permanent=False)


def _book(form: BookingForm, meeting_type: MeetingType, *, start, duration, zone, address,
          link=None):
    first, last = split_name(form.cleaned_data["name"])
    attendee = AttendeeInput(
        email=form.cleaned_data["email"], first_name=first, last_name=last,
        phone=form.cleaned_data.get("phone") or "", notes=form.notes(),
        language=(get_language() or "en")[:10], timezone=zone,
    )
    return booking_create(
        company=meeting_type.company, meeting_type=meeting_type, start=start, attendee=attendee,
        duration=duration, channel=form.cleaned_data.get("channel") or None,
        location=form.cleaned_data.get("address") or None, source=AppointmentSource.PAGE,
        client_address=address, one_time_link=link,
    )


def zone_choices(current: str) -> list[tuple[str, str]]:
    """Every IANA region zone, grouped by region in the select, the current one first
    when it is not a region zone."""
    zones = _region_zones()
    return zones if current in {z for z, _label in zones} else [(current, current), *zones]


_ZONES: list = []
_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
            "Europe/", "Indian/", "Pacific/")


def _region_zones() -> list[tuple[str, str]]:
    if not _ZONES:
        names = sorted(z for z in zoneinfo.available_timezones() if z.startswith(_REGIONS))
        _ZONES.extend([("UTC", "UTC"), *((z, z.replace("_", " ")) for z in names)])
    return _ZONES
