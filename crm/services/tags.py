"""Tags on contacts, and the automatic ones (``Recurring``, ``Optin``)."""

from django.db import transaction
from django.db.models import Count, Q

from webhooks import events
from webhooks.services.outbox import emit

from ..choices import RECURRING_AT_BOOKINGS, TAG_OPTIN, TAG_RECURRING, EventType
from ..models import Contact, ContactTag
from ..payloads import contact_payload


def contact_tags_set(*, contact: Contact, names: list[str]) -> bool:
    """Make ``names`` the contact's tags (a person's edit); True when they changed."""
    current = set(contact.tags.values_list("name", flat=True))
    removed = current - set(names)
    added = [name for name in names if name not in current]
    if not (removed or added):
        return False
    if removed:
        contact.tags.filter(name__in=removed).delete()
    ContactTag.objects.bulk_create(
        [ContactTag(company_id=contact.company_id, contact=contact, name=name) for name in added],
        ignore_conflicts=True,
    )
    # Tags prefetched with the contact are stale now; Django forgets them.
    contact.refresh_from_db(fields=["tags"])
    return True


def contact_tag_add(*, contact: Contact, name: str, automatic: bool = False) -> bool:
    """Add one tag unless the contact has it; True when added. Touches no other tag."""
    with transaction.atomic():
        _, created = ContactTag.objects.get_or_create(
            contact=contact, name=name,
            defaults={"company_id": contact.company_id, "automatic": automatic},
        )
    return created


def automatic_tags_due(*, contact: Contact) -> list[str]:
    """The automatic tags the contact's timeline earns."""
    counts = contact.events.aggregate(
        bookings=Count("pk", filter=Q(event_type=EventType.BOOKING)),
        optins=Count("pk", filter=Q(event_type=EventType.OPTIN)),
    )
    due = []
    if counts["bookings"] >= RECURRING_AT_BOOKINGS:
        due.append(TAG_RECURRING)
    if counts["optins"]:
        due.append(TAG_OPTIN)
    return due


def contact_apply_automatic_tags(*, contact: Contact) -> list[str]:
    """Add the automatic tags the contact has earned and lacks; the tags added.

    Idempotent: running it twice adds nothing the second time. It only ever
    adds, so it never removes a tag a person set (or removed an automatic tag
    from: the next earning event adds it back).
    """
    with transaction.atomic():
        added = [name for name in automatic_tags_due(contact=contact)
                 if contact_tag_add(contact=contact, name=name, automatic=True)]
        if added:
            emit(contact.company, events.CONTACT_UPDATED, contact_payload(contact))
    return added
