"""Domain operations of crm. Every entry point (API, admin, signals, tasks) calls these."""

from .audit import SYSTEM, Actor, audit_record
from .bulk import MAX_ROWS, RowResult, contacts_bulk_upsert
from .contacts import (
    DUPLICATE_EMAIL,
    contact_create,
    contact_delete,
    contact_update,
    contact_upsert_from_attendee,
    crm_company_for_email,
)
from .crm_companies import crm_company_create
from .events import contact_event_record
from .tags import contact_apply_automatic_tags, contact_tag_add, contact_tags_set
from .validation import InvalidContact, contact_fields_clean, from_public_names

__all__ = [
    "DUPLICATE_EMAIL", "MAX_ROWS", "SYSTEM", "Actor", "InvalidContact", "RowResult",
    "audit_record", "contact_apply_automatic_tags", "contact_create", "contact_delete",
    "contact_event_record", "contact_fields_clean", "contact_tag_add", "contact_tags_set",
    "contact_update", "contact_upsert_from_attendee", "contacts_bulk_upsert",
    "crm_company_create", "crm_company_for_email", "from_public_names",
]
