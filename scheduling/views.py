"""The public pages: booking, the attendee's self-service, opt-in, the host's
decision and rooms.

Attendees never log in. Every page works with plain links and form posts;
``static/scheduling/pages.js`` only smooths them. Views parse and render: the
slots come from ``selectors.available_slots`` and every change goes through the
same service the API calls, whose DomainError becomes a message on the page.
The attendee's time zone travels in the ``tz`` query parameter of every link.
Every POST is anonymous and limited first (``publiclimits``, ``limited_posts``).
"""

import calendar
import datetime as dt
import logging
import math
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone as djtz
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import ics, links, publiclimits, selectors
from .choices import Channel
from .clientaddr import client_address
from .errors import DomainError
from .forms import BookingForm, CancelForm, DeclineForm, RoomJoinForm
from .models import (
    ACTIVE_STATUSES,
    RESERVED_SLUGS,
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    MeetingType,
    User,
)
from .services import appointments as appointment_services
from .services import rooms as room_services
from .services.bookings import (
    SLOT_TAKEN,
    AttendeeInput,
    HoldLimitReached,
    booking_create,
    split_name,
)
from .timeutils import canonical_timezone, get_zone

logger = logging.getLogger("termin.pages")

# How many free times the "that time was just taken" message offers.
NEXT_FREE_COUNT = 6
# How far ahead those are looked for, and how many empty months the page skips.
NEXT_FREE_DAYS = 21
MONTHS_TO_SKIP = 2
# How far from today the pages go: later months show this month, and a start
# further away than this in either direction is no time at all (the calendar).
MONTHS_AHEAD = 120
START_BOUND = dt.timedelta(days=3660)


# --- helpers -------------------------------------------------------------------------


def _page(request, template: str, context: dict, *, zone: str = "UTC", status: int = 200):
    """Render with datetimes shown in ``zone`` (the attendee's time zone)."""
    with djtz.override(get_zone(zone)):
        return render(request, template, {"tz": zone, **context}, status=status)


def _message(request, title: str, text: str, *, status: int = 404):
    return _page(request, "scheduling/message.html", {"title": title, "text": text},
                 status=status)


def _too_many(request, wait: int, reason: str):
    """The friendly 429 of a limit: ``reason`` is "address", "email" or "holds"."""
    response = _page(request, "scheduling/limited.html", {
        "reason": reason, "minutes": max(1, math.ceil(wait / 60)),
    }, zone=_zone(request, "UTC"), status=429)
    response["Retry-After"] = str(wait)
    return response


def limited_posts(view):
    """A page whose POSTs first spend a token of the client address (publiclimits)."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST":
            wait = publiclimits.address_wait(request)
            if wait:
                return _too_many(request, wait, "address")
        return view(request, *args, **kwargs)

    return limited


def _caught_bot(request, form) -> bool:
    """A filled honeypot: the bot gets a plain 400 and nothing is done."""
    if not form.caught_bot():
        return False
    logger.info("Honeypot filled on %s from %s", request.path, client_address(request))
    return True


def _bot_refusal(request):
    return _message(request, _("This form could not be sent"),
                    _("Please reload the page and try again."), status=400)


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _zone(request, default: str) -> str:
    asked = request.POST.get("tz") or request.GET.get("tz") or ""
    return canonical_timezone(asked) or default


def _host_meeting_types(user: User):
    return (MeetingType.objects.filter(Q(owner=user) | Q(hosts=user) | Q(queue__members=user))
            .select_related("company", "queue", "schedule", "owner").distinct()
            .order_by("company_id", "title", "pk"))


def _meeting_type(user_slug: str, type_slug: str) -> tuple[User, MeetingType]:
    user = get_object_or_404(User, slug=user_slug, is_active=True)
    meeting_type = _host_meeting_types(user).filter(slug=type_slug).first()
    if meeting_type is None:
        raise Http404("No such meeting type")
    return user, meeting_type


def _default_zone(meeting_type: MeetingType) -> str:
    """Where the meeting type's hours are kept: the zone slots default to."""
    if meeting_type.schedule_id:
        return meeting_type.schedule.timezone
    hosts = selectors.meeting_type_hosts(meeting_type, with_default_schedule=True)
    if not hosts:
        return meeting_type.company.timezone
    schedule = getattr(hosts[0], "default_schedule", None)
    return schedule.timezone if schedule else hosts[0].timezone


def _duration(request, meeting_type: MeetingType, fallback: int | None = None) -> int:
    try:
        asked = int(request.POST.get("duration") or request.GET.get("duration") or 0)
    except ValueError:
        asked = 0
    if asked in meeting_type.durations:
        return asked
    return fallback if fallback in (meeting_type.durations or ()) else \
        meeting_type.default_duration


def _parse_start(value: str | None) -> dt.datetime | None:
    """A start with an offset, within START_BOUND of now; else None."""
    try:
        start = dt.datetime.fromisoformat((value or "").replace(" ", "+"))
        start = start.astimezone(dt.UTC) if start.tzinfo else None
    except (ValueError, OverflowError):  # overflow: year 1 or 9999 moved into UTC
        return None
    if start is None or abs(start - djtz.now()) > START_BOUND:
        return None
    return start


def _parse_month(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _next_month(month: dt.date, step: int = 1) -> dt.date:
    index = month.year * 12 + month.month - 1 + step
    return dt.date(index // 12, index % 12 + 1, 1)


def _hosts_label(meeting_type: MeetingType) -> list[User]:
    return selectors.meeting_type_hosts(meeting_type)


def _channels_label(meeting_type: MeetingType) -> str:
    labels = dict(Channel.choices)
    return ", ".join(str(labels.get(c, c)) for c in meeting_type.channels or [Channel.CONNECT])


# --- the month calendar --------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    free: int
    url: str
    selected: bool
    today: bool


@dataclass
class Calendar:
    month: dt.date
    weeks: list  # of 7-lists of Day or None
    prev_url: str | None
    next_url: str | None
    selected: dt.date | None
    times: list  # (slot start, url)
    has_free: bool

    @property
    def weekday_dates(self) -> list[dt.date]:
        """A Monday-to-Sunday week, for the localized weekday headings."""
        return [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(7)]


def _free_slots(meeting_type: MeetingType, first: dt.date, last: dt.date, zone: str,
                duration: int) -> list:
    if last < first:
        return []
    result = selectors.available_slots(meeting_type=meeting_type, start=first, end=last,
                                       timezone=zone, duration=duration)
    return result.slots


def _month_slots(meeting_type, month: dt.date, zone: str, duration: int) -> dict:
    """Free slots of ``month`` by local date (days already past left out)."""
    today = djtz.now().astimezone(get_zone(zone)).date()
    last = _next_month(month) - dt.timedelta(days=1)
    by_day: dict[dt.date, list] = {}
    for slot in _free_slots(meeting_type, max(month, today), last, zone, duration):
        by_day.setdefault(slot.start.astimezone(get_zone(zone)).date(), []).append(slot)
    return by_day


def build_calendar(request, meeting_type: MeetingType, *, zone: str, duration: int,
                   base_url: str, time_url) -> Calendar:
    """The month the request asks for (else the first with free times, from this one),
    its days linked when they have free times, and the chosen day's times.
    ``time_url(slot)`` makes the link of one time."""
    local_today = djtz.now().astimezone(get_zone(zone)).date()
    this_month = local_today.replace(day=1)
    last_month = _next_month(this_month, MONTHS_AHEAD)
    month = _parse_month(request.GET.get("month"))
    if month is None or not this_month <= month <= last_month:
        month = this_month
        by_day = _month_slots(meeting_type, month, zone, duration)
        for _step in range(MONTHS_TO_SKIP):
            if by_day or "month" in request.GET:
                break
            month = _next_month(month)
            by_day = _month_slots(meeting_type, month, zone, duration)
    else:
        by_day = _month_slots(meeting_type, month, zone, duration)
    selected = _parse_date(request.GET.get("date"))
    if selected not in by_day:
        selected = min(by_day) if by_day else None

    def link(**params):
        return base_url + _query(tz=zone, duration=duration, **params)

    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([
            Day(day, len(by_day.get(day, ())), link(month=f"{month:%Y-%m}", date=day.isoformat()),
                day == selected, day == local_today) if day.month == month.month else None
            for day in week
        ])
    times = [(slot.start, time_url(slot)) for slot in by_day.get(selected, ())]
    return Calendar(
        month=month, weeks=weeks,
        prev_url=link(month=f"{_next_month(month, -1):%Y-%m}") if month > this_month else None,
        next_url=link(month=f"{_next_month(month):%Y-%m}") if month < last_month else None,
        selected=selected, times=times, has_free=bool(by_day),
    )


def next_free_slots(meeting_type: MeetingType, *, after: dt.datetime, zone: str,
                    duration: int) -> list:
    """The first free times from ``after`` on (for a time someone else just took)."""
    first = max(after, djtz.now()).astimezone(get_zone(zone)).date()
    slots = _free_slots(meeting_type, first, first + dt.timedelta(days=NEXT_FREE_DAYS), zone,
                        duration)
    return [slot for slot in slots if slot.start >= after][:NEXT_FREE_COUNT] or \
        slots[:NEXT_FREE_COUNT]


# --- host and meeting type pages --------------------------------------------------------


def host_page(request, user_slug: str):
    """The user's booking page (``bookingUrl``): the meeting types they host."""
    if user_slug in RESERVED_SLUGS:  # /admin and friends without their slash
        return redirect(f"/{user_slug}/")
    user = get_object_or_404(User, slug=user_slug, is_active=True)
    # Links pass on a zone only when one was asked for, so the next page can still
    # detect the browser's.
    asked = canonical_timezone(request.GET.get("tz") or "")
    return _page(request, "scheduling/host.html", {
        "host": user, "meeting_types": list(_host_meeting_types(user)),
        "tz_query": _query(tz=asked),
    }, zone=asked or user.timezone)


def meeting_type_page(request, user_slug: str, type_slug: str):
    """A month of days with free times in the attendee's zone, then the chosen day's times."""
    user, meeting_type = _meeting_type(user_slug, type_slug)
    zone = _zone(request, _default_zone(meeting_type))
    duration = _duration(request, meeting_type)
    base = reverse("pages:meeting-type", args=[user.slug, meeting_type.slug])
    book = reverse("pages:book", args=[user.slug, meeting_type.slug])
    try:
        cal = build_calendar(request, meeting_type, zone=zone, duration=duration, base_url=base,
                             time_url=lambda slot: book + _query(
                                 start=slot.start.isoformat(), tz=zone, duration=duration))
    except DomainError as error:
        return _message(request, _("This page cannot show times"), error.message, status=400)
    return _page(request, "scheduling/meeting_type.html", {
        "host": user, "meeting_type": meeting_type, "duration": duration, "calendar": cal,
        "hosts": _hosts_label(meeting_type), "base_url": base,
        "channel_label": _channels_label(meeting_type),
        "durations": [(d, base + _query(tz=zone, duration=d)) for d in meeting_type.durations],
        "zones": zone_choices(zone), "detect_zone": "tz" not in request.GET,
    }, zone=zone)


@require_http_methods(["GET", "POST"])
@limited_posts
def book_page(request, user_slug: str, type_slug: str):
    """The chosen time and the booking form; a POST books through ``booking_create``."""
    user, meeting_type = _meeting_type(user_slug, type_slug)
    zone = _zone(request, _default_zone(meeting_type))
    duration = _duration(request, meeting_type)
    back = reverse("pages:meeting-type", args=[user.slug, meeting_type.slug])
    start = _parse_start(request.POST.get("start") or request.GET.get("start"))
    if start is None:
        return redirect(back + _query(tz=zone, duration=duration))
    context = {"host": user, "meeting_type": meeting_type, "duration": duration,
               "start": start, "end": start + dt.timedelta(minutes=duration),
               "hosts": _hosts_label(meeting_type),
               "channel_label": _channels_label(meeting_type),
               "back_url": back + _query(tz=zone, duration=duration,
                                         month=f"{start.astimezone(get_zone(zone)):%Y-%m}",
                                         date=f"{start.astimezone(get_zone(zone)):%Y-%m-%d}")}
    if request.method == "GET":
        form = BookingForm(meeting_type=meeting_type)
        return _page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
    form = BookingForm(request.POST, meeting_type=meeting_type)
    if _caught_bot(request, form):
        return _bot_refusal(request)
    if not form.is_valid():
        return _page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
    wait = publiclimits.email_wait(form.cleaned_data["email"], publiclimits.BOOKING)
    if wait:
        return _too_many(request, wait, "email")
    try:
        result = _book(form, meeting_type, start=start, duration=duration, zone=zone,
                       address=client_address(request))
    except HoldLimitReached as refusal:
        return _too_many(request, refusal.retry_after, "holds")
    except DomainError as error:
        if error.message != SLOT_TAKEN:
            form.add_error(form.error_field(error.field), error.message)
            return _page(request, "scheduling/book.html", {**context, "form": form}, zone=zone)
        free = next_free_slots(meeting_type, after=start, zone=zone, duration=duration)
        return _page(request, "scheduling/book.html", {
            **context, "form": form, "taken": True, "next_free": free,
        }, zone=zone)
    token = links.make_token(result.appointment, links.MANAGE)
    return redirect(reverse("pages:booked", args=[token]) + _query(tz=zone), permanent=False)


def _book(form: BookingForm, meeting_type: MeetingType, *, start, duration, zone, address):
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
        client_address=address,
    )


def zone_choices(current: str) -> list[tuple[str, str]]:
    """Every IANA region zone, grouped by region in the select, the current one first
    when it is not a region zone."""
    zones = _region_zones()
    return zones if current in {z for z, _label in zones} else [(current, current), *zones]


_ZONES: list = []


def _region_zones() -> list[tuple[str, str]]:
    if not _ZONES:
        import zoneinfo

        regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                   "Europe/", "Indian/", "Pacific/")
        names = sorted(z for z in zoneinfo.available_timezones() if z.startswith(regions))
        _ZONES.extend([("UTC", "UTC"), *((z, z.replace("_", " ")) for z in names)])
    return _ZONES


# --- the attendee's appointment (signed links) ------------------------------------------


def _appointment(token: str, purpose: str) -> Appointment | None:
    key = links.appointment_uuid_from_token(token, purpose)
    if key is None:
        return None
    return (Appointment.objects.select_related("meeting_type", "company")
            .prefetch_related("hosts", "attendees").filter(uuid=key).first())


def _invalid_link(request):
    return _message(request, _("This link does not work"),
                    _("It may have expired, or the address was cut off. Please use the most "
                      "recent link you received."))


def _attendee_zone(request, appointment: Appointment) -> str:
    primary = appointment_services.primary_attendee(appointment)
    default = (primary.timezone if primary and primary.timezone else "") or (
        _default_zone(appointment.meeting_type) if appointment.meeting_type else "UTC")
    return _zone(request, canonical_timezone(default) or "UTC")


def _appointment_context(appointment: Appointment, token: str, zone: str) -> dict:
    primary = appointment_services.primary_attendee(appointment)
    hosts = list(appointment.hosts.all())
    future = appointment.start > djtz.now()
    return {
        "appointment": appointment, "attendee": primary, "hosts": hosts, "token": token,
        "meeting_type": appointment.meeting_type,
        "channel_label": dict(Channel.choices).get(appointment.channel, appointment.channel),
        "changeable": appointment.status in ACTIVE_STATUSES and future,
        "is_connect": appointment.channel == Channel.CONNECT,
        "ics_url": reverse("pages:ics", args=[token]),
        # The booker's own page: their calendar entry carries their manage link.
        "google_url": ics.google_calendar_url(appointment, manage_link=True),
        "manage_url": reverse("pages:manage", args=[token]) + _query(tz=zone),
        "reschedule_url": reverse("pages:reschedule", args=[token]) + _query(tz=zone),
        "cancel_url": reverse("pages:cancel", args=[token]),
    }


def booked_page(request, token: str):
    """The confirmation right after booking."""
    appointment = _appointment(token, links.MANAGE)
    if appointment is None:
        return _invalid_link(request)
    zone = _attendee_zone(request, appointment)
    return _page(request, "scheduling/booked.html",
                 _appointment_context(appointment, token, zone), zone=zone)


def ics_download(request, token: str):
    appointment = _appointment(token, links.MANAGE)
    if appointment is None:
        return _invalid_link(request)
    response = HttpResponse(ics.appointment_ics(appointment, manage_link=True),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics.ics_filename(appointment)}"'
    return response


def manage_page(request, token: str):
    """The attendee's page: the appointment, cancel with a reason, or pick a new time."""
    appointment = _appointment(token, links.MANAGE)
    if appointment is None:
        return _invalid_link(request)
    zone = _attendee_zone(request, appointment)
    return _page(request, "scheduling/manage.html", {
        **_appointment_context(appointment, token, zone), "form": CancelForm(),
        "done": request.GET.get("done", ""),
    }, zone=zone)


def _fresh_manage_url(appointment: Appointment) -> str:
    """The manage page after a change: the change gave the appointment a new nonce,
    which ends the link the attendee came with (links.py)."""
    return reverse("pages:manage", args=[links.make_token(appointment, links.MANAGE)])


@require_http_methods(["GET", "POST"])
@limited_posts
def cancel_page(request, token: str):
    appointment = _appointment(token, links.MANAGE)
    if appointment is None:
        return _invalid_link(request)
    zone = _attendee_zone(request, appointment)
    manage = reverse("pages:manage", args=[token])
    if request.method == "GET":
        return redirect(manage + _query(tz=zone))
    form = CancelForm(request.POST)
    error = None
    if form.is_valid():
        try:
            cancelled = appointment_services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], by_attendee=True)
            return redirect(_fresh_manage_url(cancelled) + _query(tz=zone, done="cancelled"))
        except DomainError as failure:
            error = failure.message
    return _page(request, "scheduling/manage.html", {
        **_appointment_context(appointment, token, zone), "form": form, "error": error,
    }, zone=zone, status=200)


@require_http_methods(["GET", "POST"])
@limited_posts
def reschedule_page(request, token: str):
    """Pick a new day and time (GET), confirm it (GET with ``start``), move (POST)."""
    appointment = _appointment(token, links.MANAGE)
    if appointment is None:
        return _invalid_link(request)
    zone = _attendee_zone(request, appointment)
    meeting_type = appointment.meeting_type
    context = _appointment_context(appointment, token, zone)
    if not context["changeable"] or meeting_type is None:
        return redirect(context["manage_url"])
    duration = _duration(request, meeting_type, appointment.duration)
    base = reverse("pages:reschedule", args=[token])
    start = _parse_start(request.POST.get("start") or request.GET.get("start"))
    if request.method == "POST" and start is not None:
        try:
            moved = appointment_services.appointment_reschedule(
                appointment=appointment, start=start, duration=duration)
            return redirect(_fresh_manage_url(moved) + _query(tz=zone, done="rescheduled"))
        except DomainError as error:
            taken = error.message
            context.update(taken=taken, next_free=[
                (slot.start, base + _query(start=slot.start.isoformat(), tz=zone))
                for slot in next_free_slots(meeting_type, after=start, zone=zone,
                                            duration=duration)])
    elif start is not None:
        return _page(request, "scheduling/reschedule_confirm.html", {
            **context, "new_start": start, "new_end": start + dt.timedelta(minutes=duration),
            "duration": duration, "back_url": base + _query(tz=zone),
        }, zone=zone)
    cal = build_calendar(request, meeting_type, zone=zone, duration=duration, base_url=base,
                         time_url=lambda slot: base + _query(start=slot.start.isoformat(),
                                                             tz=zone))
    return _page(request, "scheduling/reschedule.html", {
        **context, "calendar": cal, "duration": duration, "base_url": base,
        "zones": zone_choices(zone), "detect_zone": False,
    }, zone=zone)


# --- provisional bookings: the attendee's opt-in and the host's decision -------------


@require_http_methods(["GET", "POST"])
@limited_posts
def optin_page(request, token: str):
    """Double opt-in: GET shows the booking, the POST from it confirms."""
    appointment = _appointment(token, links.OPTIN)
    if appointment is None:
        return _invalid_link(request)
    zone = _attendee_zone(request, appointment)
    manage_token = links.make_token(appointment, links.MANAGE)
    error = None
    if request.method == "POST":
        try:
            appointment_services.appointment_confirm(appointment=appointment)
            return redirect(reverse("pages:booked", args=[manage_token]) + _query(tz=zone))
        except DomainError as failure:
            error = failure.message
    return _page(request, "scheduling/optin.html", {
        **_appointment_context(appointment, manage_token, zone), "error": error,
        "pending": appointment.status == AppointmentStatus.PENDING_OPTIN,
    }, zone=zone)


@require_http_methods(["GET", "POST"])
@limited_posts
def host_page_decision(request, token: str):
    """The host confirms or declines a booking awaiting them."""
    appointment = _appointment(token, links.HOST)
    if appointment is None:
        return _invalid_link(request)
    hosts = list(appointment.hosts.all())
    zone = hosts[0].timezone if hosts else "UTC"
    form, error, done = DeclineForm(request.POST or None), None, ""
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action == "confirm":
                appointment_services.appointment_confirm(appointment=appointment)
                done = "confirmed"
            elif action == "decline":
                appointment_services.appointment_decline(
                    appointment=appointment, reason=form.cleaned_data["reason"])
                done = "declined"
        except DomainError as failure:
            error = failure.message
        appointment = _appointment(token, links.HOST)
    manage_token = links.make_token(appointment, links.MANAGE)
    return _page(request, "scheduling/host_decision.html", {
        **_appointment_context(appointment, manage_token, zone), "form": form, "error": error,
        "done": done, "pending": appointment.status == AppointmentStatus.PENDING_HOST,
    }, zone=zone)


# --- rooms -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@limited_posts
def room_named(request, company_slug: str, name: str):
    try:
        room = room_services.room_by_name(company_slug=company_slug, name=name)
    except DomainError:
        return _message(request, _("Room not found"),
                        _("Check the address, or ask your host for a new link."))
    return _room(request, room, title=room.display_name)


@require_http_methods(["GET", "POST"])
@limited_posts
def room_of_booking(request, room_token: str):
    try:
        room = room_services.appointment_room(room_token=room_token)
    except DomainError:
        return _message(request, _("Room not found"),
                        _("Check the address, or ask your host for a new link."))
    return _room(request, room, title=room.display_name)


def _room(request, room, *, title: str):
    """A join page: name and email, then the room; joining is on the contact's timeline."""
    form = RoomJoinForm(request.POST or None)
    joined = None
    if request.method == "POST" and _caught_bot(request, form):
        return _bot_refusal(request)
    if request.method == "POST" and form.is_valid():
        wait = publiclimits.email_wait(form.cleaned_data["email"], publiclimits.JOIN)
        if wait:
            return _too_many(request, wait, "email")
        try:
            room_services.room_join(room=room, name=form.cleaned_data["name"],
                                    email=form.cleaned_data["email"])
            joined = form.cleaned_data["name"]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    appointment = room.appointment if room.appointment_id else None
    return _page(request, "scheduling/room.html", {
        "room": room, "title": title, "form": form, "joined": joined,
        "appointment": appointment,
    }, zone=_zone(request, room.company.timezone))
