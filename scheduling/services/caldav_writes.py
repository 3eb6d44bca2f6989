"""Bookings written into the hosts' own CalDAV calendars.

A confirmed appointment is an event (``ics.appointment_calendar_object``: the
same UID as its ``.ics``, its title, attendees and join link) in the calendar
that receives bookings of each host's CalDAV connection in the appointment's
company. A reschedule or edit replaces it, a cancellation deletes it.

The delivery is an outbox, as webhooks and emails have: ``appointment_changed``
runs in the transaction of every change and marks a ``CalendarEventCopy`` per
connection due; once that commits a task (``copy_deliver``) brings the server in
line with the appointment as it then is, and the periodic sweep (``copies_sweep``)
takes up whatever is due and not in hand (retries, lost messages, a broker
outage). A server that is down only delays the event: a failed attempt backs off
from ``BACKOFF_FIRST`` to ``BACKOFF_MAX`` and keeps trying until the appointment
has been over for ``GIVE_UP_AFTER``. Each attempt holds a lease (``LEASE``), so
two workers never write one event at once, and ends within ``WRITE_SECONDS``.
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from .. import caldav_client, ics, selectors
from ..caldav_client import CalDAVError
from ..core import sealed
from ..models import (
    Appointment,
    AppointmentHost,
    AppointmentStatus,
    CalendarConnection,
    CalendarConnectionType,
    CalendarEventCopy,
)
from . import caldav, calendars

WRITE_SECONDS = 30
LEASE = dt.timedelta(seconds=WRITE_SECONDS + 30)
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
GIVE_UP_AFTER = dt.timedelta(days=1)
SWEEP_BATCH = 500

logger = logging.getLogger(__name__)


def appointment_changed(appointment: Appointment, *, now: dt.datetime | None = None) -> None:
    """Mark the appointment's events due in its hosts' CalDAV calendars (created
    for connections that have none yet while it is confirmed); each is queued once
    the caller's transaction commits. Call inside the transaction of the change."""
    now = now or timezone.now()
    wanted = []
    if appointment.status == AppointmentStatus.CONFIRMED:
        hosts = AppointmentHost.objects.filter(appointment=appointment).values("host_id")
        wanted = list(CalendarConnection.objects.filter(
            type=CalendarConnectionType.CALDAV, company_id=appointment.company_id,
            user_id__in=hosts, caldav_calendars__receives_bookings=True,
        ).values_list("pk", flat=True))
    if wanted:
        CalendarEventCopy.objects.bulk_create(
            [CalendarEventCopy(appointment=appointment, connection_id=pk, due_at=now,
                               created_at=now) for pk in wanted], ignore_conflicts=True)
    copies = CalendarEventCopy.objects.filter(
        Q(connection_id__in=wanted) | ~Q(href="") | Q(due_at__isnull=False),
        appointment=appointment)
    ids = list(copies.values_list("pk", flat=True))
    if ids:
        CalendarEventCopy.objects.filter(pk__in=ids).update(
            version=F("version") + 1, due_at=now, attempts=0)
        transaction.on_commit(lambda: _queue(ids))


def _queue(ids: list[int]) -> None:
    from ..tasks import write_calendar_event

    for pk in ids:
        try:
            write_calendar_event.delay(pk)
        except Exception:  # the sweep sends it; a broker outage must not fail the change
            logger.exception("Could not queue the calendar write %s", pk)


def copy_deliver(*, copy_id: int, now: dt.datetime | None = None) -> str:
    """Bring one event in line with its appointment: ``written``, ``removed``,
    ``failed`` (it stays due, backing off) or ``skipped`` (not due, or in another
    worker's hands)."""
    now = now or timezone.now()
    version = _lease(copy_id, now)
    if version is None:
        return "skipped"
    copy = (CalendarEventCopy.objects.select_related("connection", "appointment")
            .filter(pk=copy_id).first())
    if copy is None:
        return "skipped"
    target = _target(copy)
    try:
        account = caldav.account_of(copy.connection)
        with caldav_client.connected(account, seconds=WRITE_SECONDS) as client:
            href, where = _bring_in_line(client, copy, target)
    except (CalDAVError, sealed.Unreadable) as exc:
        return _failed(copy, version, str(exc), now)
    except Exception as exc:  # noqa: BLE001 - recorded and retried like a server's fault
        logger.exception("The calendar write %s failed", copy_id)
        return _failed(copy, version, f"The event could not be written: {type(exc).__name__}",
                       now)
    return _succeeded(copy, version, href, where, now)


def _lease(copy_id: int, now: dt.datetime) -> int | None:
    """Take the row for ``LEASE`` when it is due and free; its version then."""
    taken = CalendarEventCopy.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now), pk=copy_id, due_at__lte=now,
    ).update(locked_until=now + LEASE)
    if not taken:
        return None
    return CalendarEventCopy.objects.filter(pk=copy_id).values_list("version", flat=True).first()


def _target(copy: CalendarEventCopy) -> str | None:
    """The calendar the event belongs in now, or None when it belongs nowhere."""
    appointment, connection = copy.appointment, copy.connection
    hosting = AppointmentHost.objects.filter(appointment=appointment,
                                             host_id=connection.user_id).exists()
    if appointment.status != AppointmentStatus.CONFIRMED or not hosting:
        return None
    return connection.caldav_calendars.filter(receives_bookings=True).values_list(
        "url", flat=True).first()


def _bring_in_line(client, copy: CalendarEventCopy, target: str | None) -> tuple[str, str]:
    """Delete the event where it no longer belongs, write it where it does; the
    event's URL and calendar afterwards (empty when there is none)."""
    href, where = copy.href, copy.calendar_url
    if href and where != target:
        caldav_client.delete_event(client, href)
        href, where = "", ""
    if target:
        appointment = selectors.appointments_for_payload().get(pk=copy.appointment_id)
        body = ics.appointment_calendar_object(appointment,
                                               summary=calendars.host_summary(appointment))
        href = caldav_client.put_event(client, target, f"{appointment.uuid}.ics", body)
        where = target
    return href, where


def _succeeded(copy: CalendarEventCopy, version: int, href: str, where: str,
               now: dt.datetime) -> str:
    fields = {"href": href, "calendar_url": where, "attempts": 0, "last_error": "",
              "last_attempt_at": now, "locked_until": None}
    if href:
        fields["written_at"] = now
    settled = CalendarEventCopy.objects.filter(pk=copy.pk, version=version).update(
        due_at=None, **fields)
    if not settled:  # changed meanwhile: write the newer state too
        CalendarEventCopy.objects.filter(pk=copy.pk).update(**fields)
        _queue([copy.pk])
    return "written" if href else "removed"


def _failed(copy: CalendarEventCopy, version: int, error: str, now: dt.datetime) -> str:
    """Record the error and back off (or give up on an appointment long over)."""
    attempts = copy.attempts + 1
    over = copy.appointment.end + GIVE_UP_AFTER < now
    wait = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
    later = None if over else now + wait
    CalendarEventCopy.objects.filter(pk=copy.pk).update(
        attempts=attempts, last_error=error[:calendars.ERROR_CHARS], last_attempt_at=now,
        locked_until=None,
        due_at=Case(When(version=version, then=Value(later, output_field=DateTimeField())),
                    default=F("due_at")))
    return "failed"


def copies_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue every due event not in a worker's hands (Celery beat); how many."""
    now = now or timezone.now()
    due = list(CalendarEventCopy.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now), due_at__lte=now,
    ).order_by("due_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    _queue(due)
    return len(due)


def writes_status(connection: CalendarConnection) -> dict:
    """What the connection's event writes are waiting for: how many are due, and the
    last error of one still due."""
    pending = connection.event_copies.filter(due_at__isnull=False)
    failing = pending.exclude(last_error="").order_by("-last_attempt_at").first()
    return {"pending": pending.count(),
            "lastError": failing.last_error if failing else None,
            "lastErrorAt": failing.last_attempt_at if failing else None}
