"""Celery tasks of crm: thin wrappers around services."""

from celery import shared_task

from .models import Contact
from .services.tags import contact_apply_automatic_tags


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def apply_automatic_tags(contact_id: int) -> list[str]:
    """Add the automatic tags a contact has earned (a deleted contact needs none)."""
    contact = Contact.objects.filter(pk=contact_id).select_related("company").first()
    if contact is None:
        return []
    return contact_apply_automatic_tags(contact=contact)
