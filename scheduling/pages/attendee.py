"""The booker's pages behind signed links (``links.py``): the confirmation, the
.ics, the manage page to cancel or reschedule, and the double opt-in."""

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone as djtz
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import ics, links
from .. import selectors as scheduling_selectors
from ..choices import Channel
from ..core.errors import DomainError
from ..forms import CancelForm
from ..models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from ..payloads import primary_attendee
from ..services import appointments as appointment_services
from . import selectors
from .booking import zone_choices
from .common import duration_asked, limited_posts, message, page, query, start_asked, zone_asked
from .month import build_calendar, next_free_slots


def invalid_link(request):
    return message(request, _("This link does not work"),
                   _("It may have expired, or the address was cut off. Please use the most "
                     "recent link you received."))


def attendee_zone(request, appointment: Appointment) -> str:
    """The zone asked in the link, else the one the booker is shown times in."""
    return zone_asked(request, scheduling_selectors.attendee_zone(appointment))


def appointment_context(appointment: Appointment, token: str, zone: str) -> dict:
    primary = primary_attendee(appointment)
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
        "manage_url": reverse("pages:manage", args=[token]) + query(tz=zone),
        "reschedule_url": reverse("pages:reschedule", args=[token]) + query(tz=zone),
        "cancel_url": reverse("pages:cancel", args=[token]),
    }


def booked_page(request, token: str):
    """The confirmation right after booking."""
    appointment = selectors.appointment_of_link(token, links.MANAGE)
    if appointment is None:
        return invalid_link(request)
    zone = attendee_zone(request, appointment)
    return page(request, "scheduling/booked.html",
                appointment_context(appointment, token, zone), zone=zone)


def ics_download(request, token: str):
    appointment = selectors.appointment_of_link(token, links.MANAGE)
    if appointment is None:
        return invalid_link(request)
    response = HttpResponse(ics.appointment_ics(appointment, manage_link=True),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics.ics_filename(appointment)}"'
    return response


def manage_page(request, token: str):
    """The attendee's page: the appointment, cancel with a reason, or pick a new time."""
    appointment = selectors.appointment_of_link(token, links.MANAGE)
    if appointment is None:
        return invalid_link(request)
    zone = attendee_zone(request, appointment)
    return page(request, "scheduling/manage.html", {
        **appointment_context(appointment, token, zone), "form": CancelForm(),
        "done": request.GET.get("done", ""),
    }, zone=zone)


def _fresh_manage_url(appointment: Appointment) -> str:
    """The manage page after a change: the change gave the appointment a new nonce,
    which ends the link the attendee came with (links.py)."""
    return reverse("pages:manage", args=[links.make_token(appointment, links.MANAGE)])


@require_http_methods(["GET", "POST"])
@limited_posts
def cancel_page(request, token: str):
    appointment = selectors.appointment_of_link(token, links.MANAGE)
    if appointment is None:
        return invalid_link(request)
    zone = attendee_zone(request, appointment)
    manage = reverse("pages:manage", args=[token])
    if request.method == "GET":
        return redirect(manage + query(tz=zone))
    form = CancelForm(request.POST)
    error = None
    if form.is_valid():
        try:
            cancelled = appointment_services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], by_attendee=True)
            return redirect(_fresh_manage_url(cancelled) + query(tz=zone, done="cancelled"))
        except DomainError as failure:
            error = failure.message
    return page(request, "scheduling/manage.html", {
        **appointment_context(appointment, token, zone), "form": form, "error": error,
    }, zone=zone, status=200)


@require_http_methods(["GET", "POST"])
@limited_posts
def reschedule_page(request, token: str):
    """Pick a new day and time (GET), confirm it (GET with ``start``), move (POST)."""
    appointment = selectors.appointment_of_link(token, links.MANAGE)
    if appointment is None:
        return invalid_link(request)
    zone = attendee_zone(request, appointment)
    meeting_type = appointment.meeting_type
    context = appointment_context(appointment, token, zone)
    if not context["changeable"] or meeting_type is None:
        return redirect(context["manage_url"])
    duration = duration_asked(request, meeting_type, appointment.duration)
    base = reverse("pages:reschedule", args=[token])
    start = start_asked(request)
    if request.method == "POST" and start is not None:
        try:
            moved = appointment_services.appointment_reschedule(
                appointment=appointment, start=start, duration=duration)
            return redirect(_fresh_manage_url(moved) + query(tz=zone, done="rescheduled"))
        except DomainError as error:
            context.update(taken=error.message, next_free=[
                (slot.start, base + query(start=slot.start.isoformat(), tz=zone))
                for slot in next_free_slots(meeting_type, after=start, zone=zone,
                                            duration=duration, moving=appointment.pk)])
    elif start is not None:
        return page(request, "scheduling/reschedule_confirm.html", {
            **context, "new_start": start, "new_end": start + dt.timedelta(minutes=duration),
            "duration": duration, "back_url": base + query(tz=zone),
        }, zone=zone)
    cal = build_calendar(request, meeting_type, zone=zone, duration=duration, base_url=base,
                         time_url=lambda slot: base + query(start=slot.start.isoformat(),
                                                            tz=zone), moving=appointment.pk)
    return page(request, "scheduling/reschedule.html", {
        **context, "calendar": cal, "duration": duration, "base_url": base,
        "zones": zone_choices(zone), "detect_zone": False,
    }, zone=zone)


@require_http_methods(["GET", "POST"])
@limited_posts
def optin_page(request, token: str):
    """Double opt-in: GET shows the booking, the POST from it confirms."""
    appointment = selectors.appointment_of_link(token, links.OPTIN)
    if appointment is None:
        return invalid_link(request)
    zone = attendee_zone(request, appointment)
    manage_token = links.make_token(appointment, links.MANAGE)
    error = None
    if request.method == "POST":
        try:
            appointment_services.appointment_confirm(appointment=appointment)
            return redirect(reverse("pages:booked", args=[manage_token]) + query(tz=zone))
        except DomainError as failure:
            error = failure.message
    return page(request, "scheduling/optin.html", {
        **appointment_context(appointment, manage_token, zone), "error": error,
        "pending": appointment.status == AppointmentStatus.PENDING_OPTIN,
    }, zone=zone)
