"""Reads of the public pages: a user's meeting types and the appointment behind a
signed link. Which meeting types a user hosts, and which zone times are shown in,
are ``scheduling.selectors``' rules, shared with the API and the emails."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import links
from ..models import Appointment, MeetingType, User
from ..selectors import appointments_for_payload, meeting_types_hosted_by, meeting_types_of


def _for_pages(meeting_types):
    return (meeting_types.select_related("company", "queue", "schedule", "owner")
            .order_by("company_id", "title", "pk"))


def host_meeting_types(user: User):
    """The meeting types the user's page lists: those they host, in every company."""
    return _for_pages(meeting_types_hosted_by(user))


def meeting_type_of_page(user_slug: str, type_slug: str) -> tuple[User, MeetingType]:
    """The active user of ``user_slug`` and their meeting type ``type_slug`` (hosted or
    owned: a ``bookingUrl`` names the owner), or Http404."""
    user = get_object_or_404(User, slug=user_slug, is_active=True)
    meeting_type = _for_pages(meeting_types_of(user)).filter(slug=type_slug).first()
    if meeting_type is None:
        raise Http404("No such meeting type")
    return user, meeting_type


def appointment_of_link(token: str, purpose: str) -> Appointment | None:
    """The appointment a signed link of ``purpose`` names, with what its pages show;
    None when the link does not work (any more)."""
    key = links.appointment_uuid_from_token(token, purpose)
    if key is None:
        return None
    return appointments_for_payload().filter(uuid=key).first()
