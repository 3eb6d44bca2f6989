"""Contacts: create, update, delete, and the upsert bookings and rooms use."""

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from scheduling.core.errors import Conflict, DomainError
from scheduling.core.sql import insert_returning
from scheduling.models import Company
from webhooks import events
from webhooks.services.outbox import emit

from ..models import Contact, ContactTag, CrmCompany, contact_search_text
from ..payloads import contact_deleted_payload, contact_payload
from ..selectors import contact_find_by_email, contact_find_by_phone
from .audit import Actor, audit_record
from .tags import contact_tags_set
from .validation import EMAIL_OR_PHONE_REQUIRED, contact_fields_clean

DUPLICATE_EMAIL = "A contact with this email already exists"

# Addresses at these domains say nothing about a person's employer.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.de", "yahoo.co.uk", "hotmail.com",
    "hotmail.de", "outlook.com", "outlook.de", "live.com", "msn.com", "icloud.com", "me.com",
    "mac.com", "aol.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de",
    "freenet.de", "posteo.de", "mailbox.org", "protonmail.com", "proton.me", "yandex.com",
    "mail.ru", "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "mail.com", "qq.com",
    "163.com",
})


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower() if "@" in email else ""


def crm_company_for_email(*, company: Company, email: str) -> CrmCompany | None:
    """The CRM company whose domain is the email's, unless it is a free-mail domain."""
    domain = email_domain(email)
    if not domain or domain in FREE_MAIL_DOMAINS:
        return None
    return CrmCompany.objects.filter(company=company, domain=domain).first()


def contact_create(*, company: Company, actor: Actor | None = None, **data) -> Contact:
    """Create a contact from ``data`` (service field names, raw values).

    Raises ``InvalidContact`` (400) for bad fields and ``Conflict`` (409) when
    the email is taken in the company, also when another request takes it at
    the same moment (the unique index decides).
    """
    clean = contact_fields_clean(company=company, data=data, partial=False)
    with transaction.atomic():
        contact = _contact_insert(company=company, clean=clean)
        if actor is not None:
            _audit(contact, actor, "contact.created")
    return contact


def _contact_insert(*, company: Company, clean: dict) -> Contact:
    clean = dict(clean)
    tags = clean.pop("tags", [])
    email = clean.get("email", "")
    if email and contact_find_by_email(company=company, email=email) is not None:
        raise Conflict(DUPLICATE_EMAIL, field="email")
    if email and clean.get("crm_company") is None:
        clean["crm_company"] = crm_company_for_email(company=company, email=email)
    contact = Contact(company=company, **clean)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise Conflict(DUPLICATE_EMAIL, field="email") from exc
    contact_tags_set(contact=contact, names=tags)
    emit(company, events.CONTACT_CREATED, contact_payload(contact))
    return contact


def contact_update(*, contact: Contact, actor: Actor | None = None, **data) -> Contact:
    """Change the fields given in ``data``; the others stay. Tags given replace
    the contact's tags. Writes ``contact.updated`` when anything changed."""
    clean = contact_fields_clean(company=contact.company, data=data, partial=True)
    with transaction.atomic():
        changed = _contact_apply(contact=contact, clean=clean)
        if changed and actor is not None:
            _audit(contact, actor, "contact.updated")
    return contact


def _contact_apply(*, contact: Contact, clean: dict) -> bool:
    """Write ``clean`` onto ``contact``; True when something changed."""
    clean = dict(clean)
    tags = clean.pop("tags", None)
    if clean.get("email") and "crm_company" not in clean and contact.crm_company_id is None:
        found = crm_company_for_email(company=contact.company, email=clean["email"])
        if found is not None:
            clean["crm_company"] = found
    fields = [name for name, value in clean.items() if getattr(contact, name) != value]
    for name in fields:
        setattr(contact, name, clean[name])
    if not (contact.email or contact.phone_number):
        raise DomainError(EMAIL_OR_PHONE_REQUIRED, field="email")
    tags_changed = tags is not None and contact_tags_set(contact=contact, names=tags)
    if not fields and not tags_changed:
        return False
    contact.updated_at = timezone.now()
    try:
        with transaction.atomic():
            contact.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as exc:
        raise Conflict(DUPLICATE_EMAIL, field="email") from exc
    emit(contact.company, events.CONTACT_UPDATED, contact_payload(contact))
    return True


def contact_delete(*, contact: Contact, actor: Actor) -> None:
    """Delete the contact and its timeline; audit it and write ``contact.deleted``."""
    company, data = contact.company, contact_deleted_payload(contact)
    with transaction.atomic():
        _audit(contact, actor, "contact.deleted")
        contact.delete()
        emit(company, events.CONTACT_DELETED, data)


def _audit(contact: Contact, actor: Actor, action: str) -> None:
    audit_record(company=contact.company, actor=actor, action=action, target_type="contact",
                 target_id=contact.uuid, snapshot=contact_payload(contact))


def contact_upsert_from_attendee(
    *,
    company: Company,
    email: str | None = None,
    phone: str | None = None,
    first_name: str = "",
    last_name: str = "",
    additional_data: dict | None = None,
) -> Contact:
    """The contact for someone who booked or joined a room, created or enriched.

    Matches by email in the company, else (for someone without a matching email)
    by phone among contacts known by phone only. An existing contact keeps what
    it has: blank names, email and phone are filled in, ``additional_data`` is
    merged (newer answers win). Meant to run inside the booking's transaction;
    a concurrent upsert of the same email ends on the same row (the insert gives
    way to the unique index instead of failing, so no savepoint is needed).
    """
    data = {"email": email, "phone_number": phone, "first_name": first_name,
            "last_name": last_name, "additional_data": additional_data}
    clean = contact_fields_clean(company=company, data=data, partial=False)
    with transaction.atomic(savepoint=False):
        contact = _match(company, clean)
        if contact is None:
            contact = _contact_insert_unless_taken(company=company, clean=clean)
            if contact is not None:
                emit(company, events.CONTACT_CREATED, contact_payload(contact))
                return contact
            contact = _match(company, clean)  # created meanwhile by a concurrent upsert
        return _enrich(contact, clean)


def _contact_insert_unless_taken(*, company: Company, clean: dict) -> Contact | None:
    """Insert a contact (no tags) in one statement, its CRM company found by the
    email's domain in the same statement; None when a concurrent transaction took
    the email first (``ON CONFLICT DO NOTHING``: the caller's transaction goes on)."""
    contact = Contact(company=company, **clean)
    contact.search_text = contact_search_text(
        contact.first_name, contact.last_name, contact.email, contact.phone_number)
    domain = email_domain(contact.email)
    look_up = contact.crm_company_id is None and domain and domain not in FREE_MAIL_DOMAINS
    # The CRM company found by the email's domain in the same statement.
    expressions = {"crm_company_id": (
        "(SELECT id FROM crm_crmcompany WHERE company_id = %s AND domain = %s LIMIT 1)",
        [company.pk, domain],
    )} if look_up else None
    rows = insert_returning(contact, returning="id, crm_company_id", expressions=expressions,
                            on_conflict="ON CONFLICT DO NOTHING")
    if not rows:
        return None
    contact.crm_company_id = rows[0][1]
    # A new contact has no tags: rendering it needs no query for them (an empty
    # queryset is prefetched without one).
    prefetch_related_objects([contact], Prefetch("tags", queryset=ContactTag.objects.none()))
    return contact


def _match(company: Company, clean: dict) -> Contact | None:
    found = contact_find_by_email(company=company, email=clean["email"], for_update=True)
    return found or contact_find_by_phone(
        company=company, phone=clean["phone_number"], for_update=True
    )


def _enrich(contact: Contact, clean: dict) -> Contact:
    gaps = {name: clean[name] for name in ("first_name", "last_name", "email", "phone_number")
            if clean[name] and not getattr(contact, name)}
    merged = {**contact.additional_data, **clean["additional_data"]}
    if merged != contact.additional_data:
        gaps["additional_data"] = merged
    if not _contact_apply(contact=contact, clean=gaps):
        # Nothing new, but the contact was seen: updated_at is the latest upsert.
        contact.updated_at = timezone.now()
        contact.save(update_fields=["updated_at"])
    return contact
