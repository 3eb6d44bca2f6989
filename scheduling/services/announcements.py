"""What a booking and each later change announce, and to whom.

Three audiences, each reached the way that keeps it consistent with the change:

* crm (the contact and its timeline) through a signal, synchronously in the
  caller's transaction, so the contact commits or rolls back with the change;
* webhook consumers through ``emit``, which writes the event to the outbox in the
  caller's transaction (delivered after commit). Only appointments that were
  confirmed produce booking webhooks: ``booking_created`` fires when an
  appointment becomes confirmed, so a consumer never hears of a cancellation or
  reschedule of a booking it was never told about;
* the attendees and hosts by email, queued once the transaction commits
  (``notifications``);
* the hosts' own CalDAV calendars through their event outbox
  (``caldav_writes.appointment_changed``, written in the caller's transaction):
  the event is there while the appointment is confirmed, and gone otherwise.

Call each function inside the transaction that made the change.
"""

import datetime as dt

from webhooks import events
from webhooks.services.outbox import emit

from .. import notifications, signals
from ..core.timeutils import iso
from ..models import Appointment, AppointmentStatus, Attendee, User
from ..payloads import appointment_payload, primary_attendee
from . import caldav_writes


def _tell_crm(signal, appointment: Appointment, *, occurred_at=None, additional_data=None,
             attendee: Attendee | None = None, **metadata) -> None:
    """Send ``signal`` for the primary attendee (``attendee`` when already known)."""
    attendee = attendee or primary_attendee(appointment)
    if attendee is None:
        return
    meeting_type = appointment.meeting_type
    signal.send(
        sender=Appointment, company=appointment.company, email=attendee.email or None,
        phone=attendee.phone or None, first_name=attendee.first_name,
        last_name=attendee.last_name, additional_data=additional_data,
        meeting_type_id=appointment.meeting_type_id,
        meeting_type_title=appointment.meeting_type_title,
        meeting_type_slug=meeting_type.slug if meeting_type else None,
        attendee_id=attendee.uuid, occurred_at=occurred_at,
        metadata={"appointmentId": str(appointment.uuid), "status": appointment.status,
                  "start": iso(appointment.start), "end": iso(appointment.end),
                  "channel": appointment.channel, **metadata},
    )


def _confirmed(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.CONFIRMED


def booked(appointment: Appointment, *, hosts: list[User], attendees: list[Attendee],
           now: dt.datetime) -> None:
    """A new booking, with the hosts and attendees just written: the contact is
    created or enriched (form answers into ``additionalData``) with a ``booking``
    event; ``booking_created`` when it is confirmed already; the emails."""
    attendee = primary_attendee(appointment, attendees)
    _tell_crm(signals.attendee_booked, appointment, occurred_at=now, attendee=attendee,
             additional_data=dict(attendee.notes) if attendee and attendee.notes else None)
    if _confirmed(appointment):
        emit(appointment.company, events.BOOKING_CREATED,
             appointment_payload(appointment, hosts=hosts, attendees=attendees))
    caldav_writes.appointment_changed(appointment, now=now)
    notifications.on_booked(appointment)


def confirmed(appointment: Appointment, *, opted_in: bool, now: dt.datetime) -> None:
    """A provisional booking moved on: the attendee opted in (``opted_in``) or the
    host confirmed. ``booking_created`` once it is confirmed."""
    if opted_in:
        _tell_crm(signals.attendee_opted_in, appointment, occurred_at=now)
    if _confirmed(appointment):
        emit(appointment.company, events.BOOKING_CREATED, appointment_payload(appointment))
    caldav_writes.appointment_changed(appointment, now=now)
    notifications.on_confirmed(appointment)


def declined(appointment: Appointment, *, reason: str, now: dt.datetime) -> None:
    _tell_crm(signals.attendee_booking_cancelled, appointment, occurred_at=now,
             reason=reason or None)
    notifications.on_declined(appointment)


def cancelled(appointment: Appointment, *, was_confirmed: bool, reason: str,
              notify_attendees: bool, by_attendee: bool, now: dt.datetime) -> None:
    """The whole appointment was cancelled; ``booking_cancelled`` when it had been
    confirmed."""
    cancelled_by = "attendee" if by_attendee else "host"
    _tell_crm(signals.attendee_booking_cancelled, appointment, occurred_at=now,
             reason=reason or None, cancelledBy=cancelled_by)
    if was_confirmed:
        emit(appointment.company, events.BOOKING_CANCELLED, {
            **appointment_payload(appointment), "reason": reason or None,
            "notifyAttendees": notify_attendees, "cancelledBy": cancelled_by,
        })
    caldav_writes.appointment_changed(appointment, now=now)
    notifications.on_cancelled(appointment, notify_attendees=notify_attendees)


def guest_removed(appointment: Appointment, *, removed: dict, reason: str,
                  notify_attendees: bool, by_attendee: bool) -> None:
    """One guest left (``appointment`` as it now is, ``removed`` the guest's
    ``attendee_payload``): ``booking_cancelled`` naming them when the appointment is
    confirmed. The guest gets no email."""
    caldav_writes.appointment_changed(appointment)
    if not _confirmed(appointment):
        return
    emit(appointment.company, events.BOOKING_CANCELLED, {
        **appointment_payload(appointment), "reason": reason or None,
        "notifyAttendees": notify_attendees,
        "cancelledBy": "attendee" if by_attendee else "host",
        "attendeeId": removed["id"], "removedAttendee": removed,
    })


def rescheduled(appointment: Appointment, *, previous: tuple[dt.datetime, dt.datetime],
                now: dt.datetime) -> None:
    """New times: the timeline, ``booking_rescheduled`` with the previous times (in
    the attendee's zone) when confirmed, the emails."""
    zone = getattr(primary_attendee(appointment), "timezone", "") or None
    previous_start, previous_end = iso(previous[0], zone), iso(previous[1], zone)
    _tell_crm(signals.attendee_booking_rescheduled, appointment, occurred_at=now,
             previousStart=previous_start, previousEnd=previous_end)
    _rescheduled_event(appointment, previous_start=previous_start, previous_end=previous_end)
    caldav_writes.appointment_changed(appointment, now=now)
    notifications.on_rescheduled(appointment, previous_start=previous[0])


def changed(appointment: Appointment, **extra) -> None:
    """A change the attendee notices at unchanged times (place, hosts, guests):
    ``booking_rescheduled`` with the current times as the previous ones, when
    confirmed; ``extra`` joins its body."""
    _rescheduled_event(appointment, previous_start=None, previous_end=None, **extra)
    caldav_writes.appointment_changed(appointment)


def _rescheduled_event(appointment: Appointment, *, previous_start: str | None,
                       previous_end: str | None, **extra) -> None:
    if not _confirmed(appointment):
        return
    body = appointment_payload(appointment)
    emit(appointment.company, events.BOOKING_RESCHEDULED, {
        **body, "rescheduledAppointment": body,
        "previousStart": previous_start or body["start"],
        "previousEnd": previous_end or body["end"], **extra,
    })


def guests_added(appointment: Appointment, *, emails: list[str]) -> None:
    """Bring-along guests joined: ``booking_rescheduled`` naming them, their invitations."""
    changed(appointment, addedGuests=emails)
    notifications.on_guests_added(appointment, emails=emails)


def no_show(appointment: Appointment, *, now: dt.datetime) -> None:
    _tell_crm(signals.attendee_no_show, appointment, occurred_at=now)
