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


# A refused or dropped SMTP connection (smtplib's errors are OSErrors) is retried;
# a retry skips the recipients an earlier try reached (notifications.appointment_notify).
@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
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


@shared_task
def sync_calendar_connection(connection_id: int) -> None:
    """Fetch one external calendar and store its busy times; failures are recorded
    on the connection, so the task itself never needs a retry."""
    from .services.calendars import connection_sync

    connection_sync(connection_id=connection_id)


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
