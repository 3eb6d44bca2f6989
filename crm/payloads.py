"""Shapes of contacts and events, declared once (scheduling/core/api/shapes.py) and shared
by the APIs and the outbox: an event carries a contact as its endpoint shows it."""

import json

from scheduling.core.api.shapes import Email, Instant, Integer, ListOf, Mapping, Shape, Text, Uuid
from scheduling.core.timeutils import unix

from .models import Contact

CONTACT = Shape("Contact", {
    "id": Uuid("uuid"),
    "firstName": Text("first_name"),
    "lastName": Text("last_name"),
    "email": Email(lambda contact: contact.email or None, null=True),
    "phoneNumber": Text(lambda contact: contact.phone_number or None, null=True),
    "tags": ListOf(Text, "tag_names"),
    "notes": Text("notes"),
    "crmCompanyId": Uuid("crm_company.uuid", null=True),
    "accountOwnerId": Uuid("account_owner.uuid", null=True),
    "additionalData": Mapping("additional_data"),
    "noShowCount": Integer("no_show_count"),
    "eventCount": Integer("event_count"),
    "lastSeenAt": Instant("last_seen_at", null=True),
    "createdAt": Instant("created_at"),
    "updatedAt": Instant("updated_at"),
})
# A contact as meetergo's /crm answers show it (their ``item``): ``notes`` null when
# empty as meetergo's example has it, and ``language``, which meetergo shows and
# Termin does not keep, null.
CONTACT_ITEM = CONTACT.extend("CrmContactItem", {
    "notes": Text(lambda contact: contact.notes or None, null=True),
    "eventCount": Integer("event_count", "Termin's own: timeline entries"),
    "lastSeenAt": Instant("last_seen_at", "Termin's own", null=True),
    "language": Text(lambda contact: None, "Always null: Termin keeps no contact language",
                     null=True),
})
# What ``contact.deleted`` carries.
DELETED_CONTACT = Shape("DeletedContact", {
    "id": Uuid("uuid"),
    "name": Text("name"),
    "email": Email(lambda contact: contact.email or None, null=True),
})
EVENT = Shape("ContactEvent", {
    "id": Uuid("uuid"),
    "contactId": Uuid("contact.uuid"),
    "type": Text("event_type"),
    "meetingTypeTitle": Text("meeting_type_title", null=True),
    "meetingTypeSlug": Text("meeting_type_slug", null=True),
    "roomName": Text("room_name", null=True),
    "roomDisplayName": Text("room_display_name", null=True),
    "attendeeId": Uuid("attendee_id", null=True),
    "metadata": Mapping("metadata", null=True),
    "occurredAt": Instant("occurred_at"),
})

# The workspace contacts API: integer ids, Unix times, snake_case.
_WORKSPACE_CONTACT = {
    "id": Integer("pk"),
    "workspace_id": Integer("company_id"),
    "name": Text("name"),
    "email": Email(lambda contact: contact.email or None, null=True),
    "event_count": Integer("event_count"),
    "last_seen_at": Integer(lambda contact: unix(contact.last_seen_at), null=True),
    "created_at": Integer(lambda contact: unix(contact.created_at)),
    "updated_at": Integer(lambda contact: unix(contact.updated_at)),
}
WORKSPACE_CONTACT = Shape("WorkspaceContact", _WORKSPACE_CONTACT)
# One contact, without its timeline figures.
WORKSPACE_CONTACT_FIELDS = WORKSPACE_CONTACT.extend(
    "WorkspaceContactFields", drop=("event_count", "last_seen_at"))
WORKSPACE_EVENT = Shape("WorkspaceContactEvent", {
    "id": Integer("pk"),
    "contact_id": Integer("contact_id"),
    "workspace_id": Integer("company_id"),
    "event_type": Text("event_type"),
    "room_id": Integer("room_id", null=True),
    "room_name": Text("room_name", null=True),
    "room_display_name": Text("room_display_name", null=True),
    "booking_page_id": Integer("meeting_type_id", null=True),
    "booking_page_title": Text("meeting_type_title", null=True),
    "booking_page_slug": Text("meeting_type_slug", null=True),
    "metadata": Text(lambda event: None if event.metadata is None else json.dumps(event.metadata),
                     null=True),
    "created_at": Integer(lambda event: unix(event.occurred_at)),
})


def contact_payload(contact: Contact) -> dict:
    """A contact as ``GET /v4/crm/:id`` shows it (and ``contact.created/updated`` carry it)."""
    return CONTACT.build(contact)


def contact_deleted_payload(contact: Contact) -> dict:
    return DELETED_CONTACT.build(contact)
