"""Plain-dict shapes of contacts and events, shared by the APIs and the outbox."""

import json

from scheduling.timeutils import iso, unix

from .models import Contact, ContactEvent


def contact_payload(contact: Contact) -> dict:
    """A contact as ``GET /v4/crm/:id`` shows it (and ``contact.created/updated`` carry it)."""
    return {
        "id": str(contact.uuid),
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email or None,
        "phoneNumber": contact.phone_number or None,
        "tags": contact.tag_names,
        "notes": contact.notes,
        "crmCompanyId": str(contact.crm_company.uuid) if contact.crm_company_id else None,
        "accountOwnerId": str(contact.account_owner.uuid) if contact.account_owner_id else None,
        "additionalData": contact.additional_data,
        "noShowCount": contact.no_show_count,
        "eventCount": contact.event_count,
        "lastSeenAt": iso(contact.last_seen_at),
        "createdAt": iso(contact.created_at),
        "updatedAt": iso(contact.updated_at),
    }


def contact_item(contact: Contact) -> dict:
    """A contact as meetergo's ``/crm`` answers show it (their ``item``): the fields of
    ``contact_payload``, ``notes`` null when empty as meetergo's example has it, and
    ``language``, which meetergo shows and Termin does not keep, null."""
    return {**contact_payload(contact), "notes": contact.notes or None, "language": None}


def contact_deleted_payload(contact: Contact) -> dict:
    """What ``contact.deleted`` carries: id, name, email."""
    return {"id": str(contact.uuid), "name": contact.name, "email": contact.email or None}


def event_payload(event: ContactEvent) -> dict:
    """A timeline entry in the ``/v4`` API."""
    return {
        "id": str(event.uuid),
        "contactId": str(event.contact.uuid),
        "type": event.event_type,
        "meetingTypeTitle": event.meeting_type_title,
        "meetingTypeSlug": event.meeting_type_slug,
        "roomName": event.room_name,
        "roomDisplayName": event.room_display_name,
        "attendeeId": str(event.attendee_id) if event.attendee_id else None,
        "metadata": event.metadata,
        "occurredAt": iso(event.occurred_at),
    }


def workspace_contact(contact: Contact, *, with_timeline: bool = True) -> dict:
    """A contact as the workspace contacts API shows it (integer ids, Unix times)."""
    body = {
        "id": contact.pk,
        "workspace_id": contact.company_id,
        "name": contact.name,
        "email": contact.email or None,
    }
    if with_timeline:
        body["event_count"] = contact.event_count
        body["last_seen_at"] = unix(contact.last_seen_at)
    body["created_at"] = unix(contact.created_at)
    body["updated_at"] = unix(contact.updated_at)
    return body


def workspace_event(event: ContactEvent) -> dict:
    """A timeline entry in the workspace contacts API (a booking page is a meeting type)."""
    return {
        "id": event.pk,
        "contact_id": event.contact_id,
        "workspace_id": event.company_id,
        "event_type": event.event_type,
        "room_id": event.room_id,
        "room_name": event.room_name,
        "room_display_name": event.room_display_name,
        "booking_page_id": event.meeting_type_id,
        "booking_page_title": event.meeting_type_title,
        "booking_page_slug": event.meeting_type_slug,
        "metadata": None if event.metadata is None else json.dumps(event.metadata),
        "created_at": unix(event.occurred_at),
    }
