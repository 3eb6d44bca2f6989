"""Rooms: a workspace's named meeting rooms, the rooms of bookings on the
``connect`` channel, and people joining them.

Joining a room records a ``room_join`` event on the participant's contact
(``signals.attendee_joined_room``, in the same transaction).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import signals
from ..core.errors import Conflict, DomainError, NotFound
from ..models import Appointment, Company, Room

NOT_FOUND = "Room not found"


def room_url(room: Room) -> str:
    """The room's public join page."""
    if room.appointment_id:
        return f"{settings.SITE_URL}/rooms/{room.appointment.room_token}"
    return f"{settings.SITE_URL}/rooms/{room.company.slug}/{room.name}"


def _check_name(name: str) -> str:
    slug = slugify(name or "")
    if not slug:
        raise DomainError("A room needs a name of letters, digits or dashes", field="name")
    return slug[:100]


def room_create(*, company: Company, name: str, display_name: str = "") -> Room:
    """A named room of the workspace; ``name`` is slugified and unique in the company."""
    slug = _check_name(name)
    try:
        with transaction.atomic():
            return Room.objects.create(company=company, name=slug,
                                       display_name=(display_name or name).strip()[:200])
    except IntegrityError:
        raise Conflict("A room with this name already exists", field="name") from None


def room_update(*, room: Room, name: str | None = None, display_name: str | None = None) -> Room:
    fields = {}
    if name is not None:
        fields["name"] = _check_name(name)
    if display_name is not None:
        if not display_name.strip():
            raise DomainError("displayName may not be blank", field="displayName")
        fields["display_name"] = display_name.strip()[:200]
    fields = {k: v for k, v in fields.items() if getattr(room, k) != v}
    if not fields:
        return room
    for key, value in fields.items():
        setattr(room, key, value)
    room.updated_at = timezone.now()
    try:
        with transaction.atomic():
            room.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise Conflict("A room with this name already exists", field="name") from None
    return room


def room_delete(*, room: Room) -> None:
    """Timeline entries keep the room's names (crm stores them with the event)."""
    room.delete()


def room_by_name(*, company_slug: str, name: str) -> Room:
    found = (Room.objects.select_related("company")
             .filter(company__slug=company_slug, name=name, appointment__isnull=True).first())
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def appointment_room(*, room_token: str) -> Room:
    """The room of the booking with ``room_token`` (made on first use). Only a
    booking on the ``connect`` channel has one."""
    appointment = (Appointment.objects.select_related("company", "room")
                   .filter(room_token=room_token, channel="connect").first())
    if appointment is None:
        raise NotFound(NOT_FOUND)
    room = getattr(appointment, "room", None)
    if room is not None:
        return room
    display = appointment.ics_title or appointment.meeting_type_title or _("Meeting room")
    room, _created = Room.objects.get_or_create(
        appointment=appointment,
        defaults={"company": appointment.company, "name": f"booking-{appointment.uuid}",
                  "display_name": display[:200]},
    )
    return room


def room_join(*, room: Room, name: str, email: str) -> Room:
    """Someone joins ``room``: their contact gets a ``room_join`` timeline event."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name:
        raise DomainError(_("Please tell us your name"), field="name")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid email address"), field="email") from None
    first, _sep, last = name.partition(" ")
    with transaction.atomic():
        signals.attendee_joined_room.send(
            sender=Room, company=room.company, email=email, phone=None,
            first_name=first, last_name=last.strip(), additional_data=None,
            meeting_type_id=None, meeting_type_title=None, meeting_type_slug=None,
            room_id=room.pk, room_name=room.name, room_display_name=room.display_name,
            attendee_id=None, occurred_at=timezone.now(),
            metadata={"roomId": str(room.uuid),
                      "appointmentId": str(room.appointment.uuid) if room.appointment_id
                      else None},
        )
    return room
