"""Celery tasks of scheduling: thin wrappers around services."""

from celery import shared_task

from .api import idempotency


@shared_task
def purge_idempotency_records() -> int:
    return idempotency.purge_expired()
