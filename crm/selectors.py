"""Reads of contacts and their timeline, shared by both APIs and the admin."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from scheduling.core.errors import NotFound
from scheduling.core.lookups import parse_uuid
from scheduling.models import ACTIVE_STATUSES, Appointment, Attendee, Company
from scheduling.selectors import appointments_for_payload

from .models import Contact, ContactEvent, ContactTag

CONTACT_NOT_FOUND = "Contact not found"
SORT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "createdAt": "created_at",
}
PHONE_CHARACTERS = frozenset("0123456789+-() ./")
# meetergo's contact answers list the contact's appointments; past this many (newest
# first) a contact's list is cut, so a page of 100 contacts stays bounded.
APPOINTMENTS_SHOWN = 50


def with_related(queryset: QuerySet) -> QuerySet:
    """What rendering a contact needs, in three queries for any number of contacts."""
    return queryset.select_related("crm_company", "account_owner").prefetch_related(
        Prefetch("tags", queryset=ContactTag.objects.order_by("pk"))
    )


def search_filter(queryset: QuerySet, term: str) -> QuerySet:
    """Contacts whose name, email or phone contains ``term`` (any case).

    A substring test on ``search_text``, which PostgreSQL answers from a trigram
    GIN index; on SQLite it is a scan. A term that looks like a phone number is
    also tried as its bare digits, so "+49 30 1234" finds "+49301234...".
    """
    term = term.strip().lower()
    if not term:
        return queryset
    digits = "".join(ch for ch in term if ch.isdigit())
    if set(term) <= PHONE_CHARACTERS and len(digits) >= 3 and digits != term:
        return queryset.filter(search_text__contains=term) | queryset.filter(
            search_text__contains=digits
        )
    return queryset.filter(search_text__contains=term)


def tagged_filter(queryset: QuerySet, tags: list[str]) -> QuerySet:
    """Contacts having any of ``tags`` (through the company-and-name tag index)."""
    tagged = ContactTag.objects.filter(company=OuterRef("company_id"), contact=OuterRef("pk"),
                                       name__in=tags)
    return queryset.filter(Exists(tagged))


def owned_filter(queryset: QuerySet, owner_uuid) -> QuerySet:
    """Contacts whose account owner is the user ``owner_uuid``, a member of the
    contact's company (a stranger, or a member who left, owns none there)."""
    return queryset.filter(account_owner__uuid=owner_uuid,
                           account_owner__memberships__company=F("company"))


def sorted_filter(queryset: QuerySet, *, sort_by: str = "createdAt",
                  sort_order: str = "DESC") -> QuerySet:
    """Contacts sorted by ``sort_by`` (a ``SORT_FIELDS`` key), then by age."""
    field = SORT_FIELDS[sort_by]
    descending = sort_order.upper() == "DESC"
    order = F(field).desc() if descending else F(field).asc()
    tiebreak = F("pk").desc() if descending else F("pk").asc()
    return queryset.order_by(order, tiebreak)


def contact_list(*, company: Company) -> QuerySet:
    """The company's contacts (``filters.ContactFilterSet`` narrows and sorts them)."""
    return Contact.objects.filter(company=company)


def contact_list_recently_seen(*, company: Company) -> QuerySet:
    """The workspace API's order: most recently seen first, never-seen last."""
    return contact_list(company=company).order_by(
        F("last_seen_at").desc(nulls_last=True), "-updated_at", "-pk")


def contact_get(*, company: Company, contact_id) -> Contact:
    """By the contact's UUID, or by the attendee id of one of its bookings."""
    key = parse_uuid(contact_id)
    if key is None:
        raise NotFound(CONTACT_NOT_FOUND)
    contacts = with_related(Contact.objects.filter(company=company))
    contact = contacts.filter(uuid=key).first()
    if contact is None:
        by_attendee = ContactEvent.objects.filter(company=company, attendee_id=key)
        contact = contacts.filter(pk__in=by_attendee.values("contact_id")[:1]).first()
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


def contact_get_by_pk(*, company: Company, pk: int) -> Contact:
    contact = Contact.objects.filter(company=company, pk=pk).first()
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


def contact_find_by_email(*, company: Company, email: str, for_update: bool = False):
    """Case-insensitive, through the ``lower(email)`` unique index."""
    if not email:
        return None
    contacts = Contact.objects.annotate(email_lower=Lower("email"))
    if for_update:
        contacts = contacts.select_for_update()
    return contacts.filter(company=company, email_lower=email.lower()).first()


def contact_find_by_phone(*, company: Company, phone: str, for_update: bool = False):
    """The oldest contact with this phone number and no email (phone-only bookings)."""
    if not phone:
        return None
    contacts = Contact.objects.select_for_update() if for_update else Contact.objects
    return contacts.filter(company=company, phone_number=phone, email="").order_by("pk").first()


def event_list(*, contact: Contact) -> QuerySet:
    """The contact's timeline, newest first."""
    return ContactEvent.objects.filter(contact=contact).order_by("-occurred_at", "-pk")


def contact_appointments(contact: Contact) -> QuerySet:
    """The company's appointments the contact attended (by email, or by phone for a
    contact without one), newest first."""
    attended = (Q(attendees__email__iexact=contact.email) if contact.email
                else Q(attendees__phone=contact.phone_number))
    if not (contact.email or contact.phone_number):
        return Appointment.objects.none()
    return (Appointment.objects.filter(attended, company_id=contact.company_id)
            .order_by("-start", "-pk").distinct())


def contact_get_by_attendee(*, company: Company, attendee_id) -> Contact:
    """The contact of the attendee (``attendeeId`` of webhooks) of one of its bookings."""
    key = parse_uuid(attendee_id)
    if key is None:
        raise NotFound(CONTACT_NOT_FOUND)
    by_attendee = ContactEvent.objects.filter(company=company, attendee_id=key)
    contact = with_related(Contact.objects.filter(
        company=company, pk__in=by_attendee.values("contact_id")[:1])).first()
    if contact is None:
        raise NotFound(CONTACT_NOT_FOUND)
    return contact


def contacts_by_ids(*, company: Company, ids) -> list[Contact]:
    """The company's contacts among these UUIDs (another company's are not found)."""
    return list(with_related(Contact.objects.filter(company=company, uuid__in=list(ids))))


@dataclass
class ContactAppointments:
    """A contact's appointments, newest first and at most ``APPOINTMENTS_SHOWN``, and
    the start of its next upcoming one (a booking not cancelled, declined or expired)."""

    appointments: list = field(default_factory=list)
    next_start: dt.datetime | None = None


def contacts_appointments(contacts: list[Contact], *, now: dt.datetime
                          ) -> dict[int, ContactAppointments]:
    """What ``contact_appointments`` finds, for each of ``contacts`` (of one company) by
    its pk, in a fixed number of queries however many contacts there are.

    Appointments come ready to render (meeting type, hosts and attendees loaded).
    Attendee emails are stored lower-case, as contacts' are, so the match is an
    indexed equality rather than a case-insensitive scan.
    """
    found = {contact.pk: ContactAppointments() for contact in contacts}
    by_email = {contact.email.lower(): contact.pk for contact in contacts if contact.email}
    by_phone: dict[str, list[int]] = {}
    for contact in contacts:
        if not contact.email and contact.phone_number:
            by_phone.setdefault(contact.phone_number, []).append(contact.pk)
    if not (by_email or by_phone):
        return found
    rows = (Attendee.objects
            .filter(appointment__company_id=contacts[0].company_id)
            .filter(Q(email__in=list(by_email)) | Q(phone__in=list(by_phone)))
            .values_list("appointment_id", "email", "phone", "appointment__start",
                         "appointment__status"))
    starts: dict[int, dict[int, dt.datetime]] = {pk: {} for pk in found}
    for appointment_id, email, phone, start, status in rows:
        owners = ([by_email[email]] if email in by_email else []) + by_phone.get(phone, [])
        for pk in owners:
            starts[pk][appointment_id] = start
            upcoming = status in ACTIVE_STATUSES and start >= now
            if upcoming and (found[pk].next_start is None or start < found[pk].next_start):
                found[pk].next_start = start
    shown = {pk: sorted(ids, key=lambda a: (ids[a], a), reverse=True)[:APPOINTMENTS_SHOWN]
             for pk, ids in starts.items()}
    wanted = {appointment_id for ids in shown.values() for appointment_id in ids}
    loaded = appointments_for_payload().in_bulk(wanted)
    for pk, ids in shown.items():
        found[pk].appointments = [loaded[appointment_id] for appointment_id in ids]
    return found
