"""The join pages of rooms: a company's named room, and a booking's own room."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import publiclimits
from ..core.errors import DomainError
from ..forms import RoomJoinForm
from ..services import rooms as room_services
from .common import bot_refusal, caught_bot, limited_posts, message, page, too_many, zone_asked


def _room_not_found(request):
    return message(request, _("Room not found"),
                   _("Check the address, or ask your host for a new link."))


@require_http_methods(["GET", "POST"])
@limited_posts
def room_named(request, company_slug: str, name: str):
    try:
        room = room_services.room_by_name(company_slug=company_slug, name=name)
    except DomainError:
        return _room_not_found(request)
    return _room(request, room, title=room.display_name)


@require_http_methods(["GET", "POST"])
@limited_posts
def room_of_booking(request, room_token: str):
    try:
        room = room_services.appointment_room(room_token=room_token)
    except DomainError:
        return _room_not_found(request)
    return _room(request, room, title=room.display_name)


def _room(request, room, *, title: str):
    """A join page: name and email, then the room; joining is on the contact's timeline."""
    form = RoomJoinForm(request.POST or None)
    joined = None
    if request.method == "POST" and caught_bot(request, form):
        return bot_refusal(request)
    if request.method == "POST" and form.is_valid():
        wait = publiclimits.email_wait(form.cleaned_data["email"], publiclimits.JOIN)
        if wait:
            return too_many(request, wait, "email")
        try:
            room_services.room_join(room=room, name=form.cleaned_data["name"],
                                    email=form.cleaned_data["email"])
            joined = form.cleaned_data["name"]
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    appointment = room.appointment if room.appointment_id else None
    return page(request, "scheduling/room.html", {
        "room": room, "title": title, "form": form, "joined": joined,
        "appointment": appointment,
    }, zone=zone_asked(request, room.company.timezone))
