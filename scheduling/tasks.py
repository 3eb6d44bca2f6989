"""Celery tasks of scheduling: thin wrappers around services."""

from celery import shared_task

from .api import idempotency


@shared_task
def purge_idempotency_records() -> int:
    return idempotency.purge_expired()


@shared_task
def expire_provisional_bookings() -> int:
    """Provisional bookings past their hold free their slot (Celery beat)."""
    from .services.appointments import appointments_expire

    return appointments_expire()
