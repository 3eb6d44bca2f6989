"""Celery tasks of crm: thin wrappers around services."""

from celery import shared_task

from .models import Contact
from .services.tags import contact_apply_automatic_tags


# A few queries: a minute is plenty; running out of time is retried like any failure.
@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=60, time_limit=90)
def apply_automatic_tags(contact_id: int) -> list[str]:
    """Add the automatic tags a contact has earned (a deleted contact needs none)."""
    contact = Contact.objects.filter(pk=contact_id).select_related("company").first()
    if contact is None:
        return []
    return contact_apply_automatic_tags(contact=contact)
