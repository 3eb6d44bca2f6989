"""Reads of the public pages: a user's meeting types, the appointment behind a
signed link, and the zone a meeting type's times are shown in by default."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import links
from .. import selectors as scheduling_selectors
from ..models import Appointment, MeetingType, User


def host_meeting_types(user: User):
    return (MeetingType.objects.filter(Q(owner=user) | Q(hosts=user) | Q(queue__members=user))
            .select_related("company", "queue", "schedule", "owner").distinct()
            .order_by("company_id", "title", "pk"))


def meeting_type_of_page(user_slug: str, type_slug: str) -> tuple[User, MeetingType]:
    """The active user of ``user_slug`` and their meeting type ``type_slug``, or Http404."""
    user = get_object_or_404(User, slug=user_slug, is_active=True)
    meeting_type = host_meeting_types(user).filter(slug=type_slug).first()
    if meeting_type is None:
        raise Http404("No such meeting type")
    return user, meeting_type


def default_zone(meeting_type: MeetingType) -> str:
    """Where the meeting type's hours are kept: the zone slots default to."""
    if meeting_type.schedule_id:
        return meeting_type.schedule.timezone
    hosts = scheduling_selectors.meeting_type_hosts(meeting_type, with_default_schedule=True)
    if not hosts:
        return meeting_type.company.timezone
    schedule = getattr(hosts[0], "default_schedule", None)
    return schedule.timezone if schedule else hosts[0].timezone


def appointment_of_link(token: str, purpose: str) -> Appointment | None:
    """The appointment a signed link of ``purpose`` names, with what its pages show;
    None when the link does not work (any more)."""
    key = links.appointment_uuid_from_token(token, purpose)
    if key is None:
        return None
    return (Appointment.objects.select_related("meeting_type", "company")
            .prefetch_related("hosts", "attendees").filter(uuid=key).first())
