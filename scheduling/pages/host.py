"""The host's pages: a user's booking page of the meeting types they offer
(``bookingUrl``), and the confirm-or-decline page of a booking awaiting them."""

from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from .. import links
from ..core.errors import DomainError
from ..core.timeutils import canonical_timezone
from ..forms import DeclineForm
from ..models import RESERVED_SLUGS, AppointmentStatus, User
from ..selectors import host_zone
from ..services import appointments as appointment_services
from . import selectors
from .attendee import appointment_context, invalid_link
from .common import limited_posts, page, query


def host_page(request, user_slug: str):
    """The user's booking page (``bookingUrl``): the meeting types they host."""
    if user_slug in RESERVED_SLUGS:  # /admin and friends without their slash
        return redirect(f"/{user_slug}/")
    user = get_object_or_404(User, slug=user_slug, is_active=True)
    # Links pass on a zone only when one was asked for, so the next page can still
    # detect the browser's.
    asked = canonical_timezone(request.GET.get("tz") or "")
    return page(request, "scheduling/host.html", {
        "host": user, "meeting_types": list(selectors.host_meeting_types(user)),
        "tz_query": query(tz=asked),
    }, zone=asked or user.timezone)


def _decide(request, appointment, form) -> tuple[str, str | None]:
    """Confirm or decline as the form's ``action`` says: (what was done, the error)."""
    action = request.POST.get("action")
    try:
        if action == "confirm":
            appointment_services.appointment_confirm(appointment=appointment)
            return "confirmed", None
        if action == "decline":
            appointment_services.appointment_decline(
                appointment=appointment, reason=form.cleaned_data["reason"])
            return "declined", None
    except DomainError as failure:
        return "", failure.message
    return "", None


@require_http_methods(["GET", "POST"])
@limited_posts
def host_decision_page(request, token: str):
    """The host confirms or declines a booking awaiting them."""
    appointment = selectors.appointment_of_link(token, links.HOST)
    if appointment is None:
        return invalid_link(request)
    zone = host_zone(next(iter(appointment.hosts.all()), None))
    form, error, done = DeclineForm(request.POST or None), None, ""
    if request.method == "POST" and form.is_valid():
        done, error = _decide(request, appointment, form)
        appointment = selectors.appointment_of_link(token, links.HOST)
    manage_token = links.make_token(appointment, links.MANAGE)
    return page(request, "scheduling/host_decision.html", {
        **appointment_context(appointment, manage_token, zone), "form": form, "error": error,
        "done": done, "pending": appointment.status == AppointmentStatus.PENDING_HOST,
    }, zone=zone)
