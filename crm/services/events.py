"""The contact timeline."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from scheduling.core.errors import DomainError
from scheduling.core.sql import insert_returning

from ..choices import EventType
from ..models import Contact, ContactEvent
from ..tasks import apply_automatic_tags

# Events after which the automatic tags may change.
TAGGING_EVENTS = frozenset({EventType.BOOKING, EventType.OPTIN})


def contact_event_record(
    *,
    contact: Contact,
    event_type: str,
    meeting_type_id: int | None = None,
    meeting_type_title: str | None = None,
    meeting_type_slug: str | None = None,
    room_id: int | None = None,
    room_name: str | None = None,
    room_display_name: str | None = None,
    attendee_id=None,
    metadata: dict | None = None,
    occurred_at: dt.datetime | None = None,
) -> ContactEvent:
    """Add an entry to the contact's timeline, in the caller's transaction.

    Keeps ``event_count``, ``last_seen_at`` and (for ``no_show``) ``noShowCount``
    current with one atomic UPDATE, so concurrent events never lose a count.
    After commit, a booking or opt-in queues the automatic-tag task.
    """
    if event_type not in EventType.values:
        raise DomainError(f"Unknown event type: {event_type}", field="event_type")
    occurred_at = occurred_at or timezone.now()
    event = ContactEvent(
        company_id=contact.company_id, contact=contact, event_type=event_type,
        meeting_type_id=meeting_type_id, meeting_type_title=meeting_type_title,
        meeting_type_slug=meeting_type_slug, room_id=room_id, room_name=room_name,
        room_display_name=room_display_name, attendee_id=attendee_id, metadata=metadata,
        occurred_at=occurred_at,
    )
    with transaction.atomic(savepoint=False):
        _insert_and_count(event, contact)
        if event_type in TAGGING_EVENTS:
            apply_automatic_tags.delay_on_commit(contact.pk)
    return event


def _insert_and_count(event: ContactEvent, contact: Contact) -> None:
    """Insert ``event`` and bump the contact's timeline figures with one atomic
    UPDATE, read back onto ``contact`` (on PostgreSQL all in one statement)."""
    no_show = int(event.event_type == EventType.NO_SHOW)
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        _count(contact, no_show, event.occurred_at)
        return
    rows = insert_returning(
        event,
        then="UPDATE crm_contact SET event_count = event_count + 1, "
             "last_seen_at = GREATEST(COALESCE(last_seen_at, %s), %s), "
             "no_show_count = no_show_count + %s WHERE id = %s "
             "RETURNING (SELECT id FROM inserted), event_count, last_seen_at, no_show_count",
        then_params=[event.occurred_at, event.occurred_at, no_show, contact.pk],
    )
    if not rows:
        raise Contact.DoesNotExist("The contact is gone")
    _, contact.event_count, contact.last_seen_at, contact.no_show_count = rows[0]


def _count(contact: Contact, no_show: int, occurred_at: dt.datetime) -> None:
    when = Value(occurred_at, output_field=DateTimeField())
    Contact.objects.filter(pk=contact.pk).update(
        event_count=F("event_count") + 1,
        last_seen_at=Greatest(Coalesce("last_seen_at", when), when),
        no_show_count=F("no_show_count") + no_show,
    )
    contact.refresh_from_db(fields=["event_count", "last_seen_at", "no_show_count"])

