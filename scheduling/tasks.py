"""Celery tasks of scheduling: thin wrappers around services.

Every task has the time limits of ``CELERY_TASK_SOFT_TIME_LIMIT`` and
``CELERY_TASK_TIME_LIMIT``; feed syncs have tighter ones and their own queue
(``CELERY_TASK_ROUTES``).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .core.api import idempotency


@shared_task
def purge_idempotency_records() -> int:
    return idempotency.purge_expired()


@shared_task
def expire_provisional_bookings() -> int:
    """Provisional bookings past their hold free their slot (Celery beat)."""
    from .services.appointments import appointments_expire

    return appointments_expire()


# A refused or dropped SMTP connection (smtplib's errors are OSErrors), or one that
# hangs until the soft time limit, is retried; a retry skips the recipients an
# earlier try reached (notifications.appointment_notify).
@shared_task(autoretry_for=(OSError, SoftTimeLimitExceeded), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def send_appointment_emails(**kwargs) -> int:
    """The emails of one change of an appointment (queued by a notifications hook)."""
    from . import notifications

    return len(notifications.appointment_notify(**kwargs))


@shared_task
def send_due_reminders() -> int:
    """Reminders 24 h and 1 h before confirmed appointments (Celery beat, every minute)."""
    from . import notifications

    return notifications.reminders_send_due()


@shared_task
def sync_calendar_connections() -> int:
    """Queue a sync of every external calendar (Celery beat)."""
    from .services.calendars import connections_sync_all

    return connections_sync_all()


@shared_task(soft_time_limit=settings.CALENDAR_SYNC_SOFT_TIME_LIMIT,
             time_limit=settings.CALENDAR_SYNC_TIME_LIMIT)
def sync_calendar_connection(connection_id: int) -> None:
    """Fetch one external calendar and store its busy times; failures, running out
    of time included, are recorded on the connection, so the task itself never
    needs a retry."""
    from .services.caldav import any_connection_sync
    from .services.calendars import connection_sync_timed_out

    try:
        any_connection_sync(connection_id=connection_id)
    except SoftTimeLimitExceeded:
        connection_sync_timed_out(connection_id=connection_id,
                                  seconds=settings.CALENDAR_SYNC_SOFT_TIME_LIMIT)


# Each attempt ends within its WRITE_SECONDS; failures wait in the database
# (``due_at``) for the sweep, never in the broker.
@shared_task(soft_time_limit=settings.CALENDAR_SYNC_SOFT_TIME_LIMIT,
             time_limit=settings.CALENDAR_SYNC_TIME_LIMIT)
def write_calendar_event(copy_id: int) -> str:
    """Bring one appointment's event in a host's CalDAV calendar in line with it."""
    from .services.caldav_writes import copy_deliver

    return copy_deliver(copy_id=copy_id)


@shared_task
def sweep_calendar_writes() -> int:
    """Queue the CalDAV event writes that are due (Celery beat)."""
    from .services.caldav_writes import copies_sweep

    return copies_sweep()


# Retried like the appointment emails: a refused SMTP connection is an OSError.
@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_invitation(*, user_id: int, company_id: int, language: str) -> bool:
    """A new user's invitation to set a password (queued by ``invitations.on_user_created``)."""
    from . import invitations

    return invitations.invitation_send(user_id=user_id, company_id=company_id,
                                       language=language)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_password_reset(*, user_id: int, language: str) -> bool:
    """The email "Forgot your password?" asked for (queued by ``invitations.PasswordResetForm``)."""
    from . import invitations

    return invitations.password_reset_send(user_id=user_id, language=language)
