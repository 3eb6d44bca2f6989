"""Keeps contacts and their timeline in step with what scheduling announces.

Connected in ``CrmConfig.ready()``. Each receiver runs in the sender's
transaction: it upserts the attendee's contact and records a timeline event,
and returns the contact.
"""

from scheduling import signals

from .choices import EventType
from .models import Contact
from .services import contact_event_record, contact_upsert_from_attendee

EVENT_TYPES = {
    signals.attendee_booked: EventType.BOOKING,
    signals.attendee_booking_cancelled: EventType.BOOKING_CANCELLED,
    signals.attendee_booking_rescheduled: EventType.BOOKING_RESCHEDULED,
    signals.attendee_no_show: EventType.NO_SHOW,
    signals.attendee_opted_in: EventType.OPTIN,
    signals.attendee_joined_room: EventType.ROOM_JOIN,
}


def record_attendee_event(
    *, signal, company, email=None, phone=None, first_name="", last_name="",
    additional_data=None, meeting_type_id=None, meeting_type_title=None,
    meeting_type_slug=None, room_id=None, room_name=None, room_display_name=None,
    attendee_id=None, occurred_at=None, metadata=None, **_ignored,
) -> Contact:
    contact = contact_upsert_from_attendee(
        company=company, email=email, phone=phone, first_name=first_name or "",
        last_name=last_name or "", additional_data=additional_data,
    )
    contact_event_record(
        contact=contact, event_type=EVENT_TYPES[signal], meeting_type_id=meeting_type_id,
        meeting_type_title=meeting_type_title, meeting_type_slug=meeting_type_slug,
        room_id=room_id, room_name=room_name, room_display_name=room_display_name,
        attendee_id=attendee_id, metadata=metadata, occurred_at=occurred_at,
    )
    return contact


def connect() -> None:
    for signal in EVENT_TYPES:
        signal.connect(record_attendee_event, dispatch_uid=f"crm-{id(signal)}")
