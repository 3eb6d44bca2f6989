"""Appointments after booking: confirm, decline, cancel, reschedule, edit, no-show,
and the expiry of provisional holds.

Each change announces itself in its own transaction: a signal tells crm (the
contact's timeline) and ``emit`` writes the webhook event to the outbox. Only
appointments that were confirmed produce booking webhooks: ``booking_created``
fires when an appointment becomes confirmed, so a consumer never hears of a
cancellation or reschedule of a booking it was never told about.
"""

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks import events
from webhooks.services import emit

from .. import notifications, signals
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..models import (
    ACTIVE_STATUSES,
    PENDING_STATUSES,
    Appointment,
    AppointmentHost,
    AppointmentStatus,
    Attendee,
    BusyTime,
    Company,
    new_manage_nonce,
)
from ..timeutils import OUT_OF_RANGE, iso, within_range
from . import bookings
from .bookings import PROVISIONAL_HOLD, SLOT_TAKEN

NOT_FOUND = "Appointment not found"
EDITABLE = ("channel", "location", "ics_title", "ics_description", "internal_note")


# --- reading ---------------------------------------------------------------------


def appointments_queryset(company: Company):
    """The company's appointments with what their payload needs (3 queries a page)."""
    return (Appointment.objects.filter(company=company)
            .select_related("meeting_type", "company")
            .prefetch_related("hosts", "attendees"))


def appointment_get(*, company: Company, appointment_id, for_update: bool = False
                    ) -> Appointment:
    """The company's appointment with this uuid, or NotFound."""
    found = None
    key = _uuid(appointment_id)
    if key is not None:
        rows = appointments_queryset(company).filter(uuid=key)
        if for_update:
            rows = rows.select_for_update(of=("self",))
        found = rows.first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def appointment_for_attendee(*, appointment_id, secret: str | None) -> Appointment:
    """The appointment whose secret the caller holds (compared in constant time)."""
    key = _uuid(appointment_id)
    found = (Appointment.objects.select_related("meeting_type", "company")
             .prefetch_related("hosts", "attendees").filter(uuid=key).first()
             if key is not None else None)
    if found is None:
        raise NotFound(NOT_FOUND)
    if not bookings.secret_matches(found, secret):
        raise Forbidden("Invalid or missing appointment secret (x-appointment-secret)")
    return found


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- shapes ------------------------------------------------------------------------


def attendee_payload(attendee: Attendee) -> dict:
    return {
        "attendeeId": str(attendee.uuid),
        "email": attendee.email or None,
        "firstname": attendee.first_name,
        "lastname": attendee.last_name,
        "fullname": attendee.full_name,
        "phone": attendee.phone or None,
        "language": attendee.language or None,
        "timezone": attendee.timezone or None,
        "receiveReminders": attendee.receive_reminders,
        "notes": attendee.notes,
    }


def primary_attendee(appointment: Appointment) -> Attendee | None:
    attendees = list(appointment.attendees.all())
    return next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)


def appointment_payload(appointment: Appointment, *, internal: bool = True) -> dict:
    """An appointment as ``/v4/appointment/:id`` shows it and booking events carry it.

    Times are in the attendee's time zone when they gave one, else UTC, always
    with a numeric offset. ``internal=False`` leaves out what only the company
    sees (the attendee's view).
    """
    attendees = list(appointment.attendees.all())
    primary = primary_attendee(appointment)
    zone = (primary.timezone if primary else "") or None
    meeting_type = appointment.meeting_type
    body = {
        "id": str(appointment.uuid),
        "appointmentId": str(appointment.uuid),
        "meetingTypeId": str(meeting_type.uuid) if meeting_type else None,
        "meetingTypeTitle": appointment.meeting_type_title,
        "status": appointment.status,
        "start": iso(appointment.start, zone),
        "end": iso(appointment.end, zone),
        "duration": appointment.duration,
        "channel": appointment.channel,
        "location": appointment.location or None,
        "meetingLink": appointment.meeting_link or None,
        "icsTitle": appointment.ics_title or (meeting_type.ics_title if meeting_type else ""),
        "icsDescription": appointment.ics_description
        or (meeting_type.ics_description if meeting_type else ""),
        "hostIds": [str(host.uuid) for host in appointment.hosts.all()],
        "attendee": attendee_payload(primary) if primary else None,
        "attendees": [attendee_payload(a) for a in attendees],
        "bringalongEmails": appointment.bringalong_emails,
        "expiresAt": iso(appointment.hold_expires_at, zone),
        "confirmedAt": iso(appointment.confirmed_at, zone),
        "cancelledAt": iso(appointment.cancelled_at, zone),
        "cancelReason": appointment.cancel_reason or None,
        "noShow": appointment.no_show_at is not None,
        "createdAt": iso(appointment.created_at, zone),
        "updatedAt": iso(appointment.updated_at, zone),
    }
    if internal:
        body.update(internalNote=appointment.internal_note, source=appointment.source,
                    skipNotifications=appointment.skip_notifications)
    return body


# --- announcements -------------------------------------------------------------------


def _tell_crm(signal, appointment: Appointment, *, occurred_at=None, additional_data=None,
              **metadata) -> None:
    """Send ``signal`` for the primary attendee, in the caller's transaction."""
    attendee = primary_attendee(appointment)
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


def announce_booked(appointment: Appointment, *, now: dt.datetime) -> None:
    """A new booking: the contact is created or enriched (form answers and UTM keys
    into ``additionalData``) with a ``booking`` event; ``booking_created`` when it is
    confirmed already."""
    attendee = primary_attendee(appointment)
    _tell_crm(signals.attendee_booked, appointment, occurred_at=now,
              additional_data=dict(attendee.notes) if attendee and attendee.notes else None)
    if appointment.status == AppointmentStatus.CONFIRMED:
        emit(appointment.company, events.BOOKING_CREATED, appointment_payload(appointment))


# --- changes ---------------------------------------------------------------------------


def appointment_confirm(*, appointment: Appointment, now: dt.datetime | None = None
                        ) -> Appointment:
    """Confirm a provisional booking: the attendee's opt-in (``pending_optin``) or the
    host's confirmation (``pending_host``). Its slot was held all along, so this can
    never double-book. After an opt-in a meeting type that also wants the host's
    confirmation waits for it (with a fresh hold)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in PENDING_STATUSES:
            raise Conflict(f"Only a provisional booking can be confirmed; this one is "
                           f"{appointment.status}")
        if appointment.hold_expires_at and appointment.hold_expires_at <= now:
            raise Conflict("This provisional booking has expired")
        opted_in = appointment.status == AppointmentStatus.PENDING_OPTIN
        meeting_type = appointment.meeting_type
        if opted_in and meeting_type and meeting_type.require_host_confirmation:
            _save(appointment, now, status=AppointmentStatus.PENDING_HOST,
                  hold_expires_at=now + PROVISIONAL_HOLD)
        else:
            _save(appointment, now, status=AppointmentStatus.CONFIRMED, confirmed_at=now,
                  hold_expires_at=None)
        if opted_in:
            _tell_crm(signals.attendee_opted_in, appointment, occurred_at=now)
        if appointment.status == AppointmentStatus.CONFIRMED:
            emit(appointment.company, events.BOOKING_CREATED, appointment_payload(appointment))
        notifications.on_confirmed(appointment)
    return appointment


def appointment_decline(*, appointment: Appointment, reason: str = "",
                        now: dt.datetime | None = None) -> Appointment:
    """The host declines a provisional booking; its slot is free again."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in PENDING_STATUSES:
            raise Conflict(f"Only a provisional booking can be declined; this one is "
                           f"{appointment.status}")
        _release(appointment)
        _save(appointment, now, status=AppointmentStatus.DECLINED, cancelled_at=now,
              cancel_reason=reason or "", hold_expires_at=None)
        _tell_crm(signals.attendee_booking_cancelled, appointment, occurred_at=now,
                  reason=reason or None)
        notifications.on_declined(appointment)
    return appointment


def appointment_cancel(*, appointment: Appointment, reason: str = "",
                       notify_attendees: bool = True, by_attendee: bool = False,
                       now: dt.datetime | None = None) -> Appointment:
    """Cancel a confirmed or provisional appointment; its slot is free again.
    ``booking_cancelled`` is written when it had been confirmed."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"This appointment is already {appointment.status}")
        was_confirmed = appointment.status == AppointmentStatus.CONFIRMED
        _release(appointment)
        # A new nonce: the manage links sent so far stop working.
        _save(appointment, now, status=AppointmentStatus.CANCELLED, cancelled_at=now,
              cancel_reason=reason or "", hold_expires_at=None,
              manage_nonce=new_manage_nonce())
        cancelled_by = "attendee" if by_attendee else "host"
        _tell_crm(signals.attendee_booking_cancelled, appointment, occurred_at=now,
                  reason=reason or None, cancelledBy=cancelled_by)
        if was_confirmed:
            emit(appointment.company, events.BOOKING_CANCELLED, {
                **appointment_payload(appointment), "reason": reason or None,
                "notifyAttendees": notify_attendees, "cancelledBy": cancelled_by,
            })
        notifications.on_cancelled(appointment, notify_attendees=notify_attendees)
    return appointment


def appointment_no_show(*, appointment: Appointment, now: dt.datetime | None = None
                        ) -> Appointment:
    """Mark the attendee as not having come (raises the contact's ``noShowCount``)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.CONFIRMED:
            raise Conflict("Only a confirmed appointment can be marked as a no-show")
        if appointment.no_show_at is not None:
            raise Conflict("This appointment is already marked as a no-show")
        if appointment.start > now:
            raise DomainError("A no-show can be marked once the appointment has started")
        _save(appointment, now, no_show_at=now)
        _tell_crm(signals.attendee_no_show, appointment, occurred_at=now)
    return appointment


def appointment_reschedule(*, appointment: Appointment, start: dt.datetime,
                           duration: int | None = None, now: dt.datetime | None = None
                           ) -> Appointment:
    """Move the appointment to ``start`` (same id, same hosts), checked like a new
    booking of its meeting type but ignoring its own time. Writes
    ``booking_rescheduled`` with the previous times when it is confirmed."""
    now = now or timezone.now()
    if not within_range(start):
        raise DomainError(OUT_OF_RANGE, field="start")
    meeting_type = appointment.meeting_type
    if meeting_type is None:
        raise DomainError("The meeting type of this appointment no longer exists",
                          field="start")
    minutes = bookings.check_duration(meeting_type,
                                      duration if duration is not None else None)
    if duration is None and appointment.duration in meeting_type.durations:
        minutes = appointment.duration
    with transaction.atomic():
        host_ids = list(AppointmentHost.objects.filter(appointment=appointment)
                        .values_list("host_id", flat=True))
        bookings.lock_hosts(host_ids)
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"A {appointment.status} appointment cannot be rescheduled")
        previous = (appointment.start, appointment.end)
        # Its own holds stop counting as busy for the check (this transaction only).
        AppointmentHost.objects.filter(appointment=appointment).update(active=False)
        free = bookings.free_hosts(meeting_type, host_ids=host_ids, start=start,
                                   duration=minutes, now=now)
        if not set(host_ids) <= set(free):
            raise DomainError(SLOT_TAKEN, field="start")
        end = start + dt.timedelta(minutes=minutes)
        with bookings.refused_overlap():
            AppointmentHost.objects.filter(appointment=appointment).update(
                start=start, end=end, active=True)
        # A new nonce: the manage links sent so far stop working; the reschedule
        # email brings the booker a new one.
        _save(appointment, now, start=start, end=end, manage_nonce=new_manage_nonce())
        _announce_rescheduled(appointment, previous, now)
        notifications.on_rescheduled(appointment, previous_start=previous[0])
    return appointment


def _announce_rescheduled(appointment: Appointment, previous, now: dt.datetime) -> None:
    zone = getattr(primary_attendee(appointment), "timezone", "") or None
    previous_start, previous_end = iso(previous[0], zone), iso(previous[1], zone)
    _tell_crm(signals.attendee_booking_rescheduled, appointment, occurred_at=now,
              previousStart=previous_start, previousEnd=previous_end)
    if appointment.status == AppointmentStatus.CONFIRMED:
        body = appointment_payload(appointment)
        emit(appointment.company, events.BOOKING_RESCHEDULED, {
            **body, "rescheduledAppointment": body,
            "previousStart": previous_start, "previousEnd": previous_end,
        })


def appointment_edit(*, appointment: Appointment, now: dt.datetime | None = None,
                     **changes) -> Appointment:
    """Change ``channel``, ``location``, ``ics_title``, ``ics_description`` or
    ``internal_note`` (the channel's rules apply as at booking). A change the
    attendee would notice writes ``booking_rescheduled`` with unchanged times."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"A {appointment.status} appointment cannot be changed")
        fields = dict(changes)
        if "channel" in changes or "location" in changes:
            fields.update(_placement(appointment, changes))
        fields = {k: v for k, v in fields.items() if getattr(appointment, k) != v}
        if not fields:
            return appointment
        _save(appointment, now, **fields)
        if set(fields) - {"internal_note"} and appointment.status == AppointmentStatus.CONFIRMED:
            body = appointment_payload(appointment)
            emit(appointment.company, events.BOOKING_RESCHEDULED, {
                **body, "rescheduledAppointment": body,
                "previousStart": body["start"], "previousEnd": body["end"],
            })
    return appointment


def _placement(appointment: Appointment, changes: dict) -> dict:
    if appointment.meeting_type is None:
        raise DomainError("The meeting type of this appointment no longer exists",
                          field="channel")
    attendee = primary_attendee(appointment)
    placement = bookings.place(
        appointment.meeting_type, channel=changes.get("channel") or appointment.channel,
        location=changes.get("location"), attendee_phone=attendee.phone if attendee else "",
        notes=attendee.notes if attendee else {}, room_token=appointment.room_token,
    )
    return {"channel": placement.channel, "location": placement.location,
            "meeting_link": placement.meeting_link}


def hosted_upcoming(*, company: Company, user, now: dt.datetime | None = None
                    ) -> list[Appointment]:
    """The company's pending and upcoming confirmed appointments ``user`` hosts."""
    now = now or timezone.now()
    return list(appointments_queryset(company).filter(
        host_rows__host=user, host_rows__active=True, status__in=ACTIVE_STATUSES, end__gt=now,
    ).order_by("start", "pk").distinct())


def appointments_reassign(*, appointments: list[Appointment], from_user, to_user,
                          now: dt.datetime | None = None) -> None:
    """Hand ``from_user``'s place in each appointment to ``to_user``, who must be
    free then (no other appointment, no busy time of the company); Conflict naming
    the first time they are not. Confirmed ones write ``booking_rescheduled`` with
    unchanged times, since their hosts changed."""
    now = now or timezone.now()
    with transaction.atomic():
        bookings.lock_hosts([from_user.pk, to_user.pk])
        for appointment in appointments:
            appointment = _locked(appointment)
            rows = AppointmentHost.objects.filter(appointment=appointment)
            if rows.filter(host=to_user).exists():  # already a co-host: the place just goes
                rows.filter(host=from_user).delete()
            else:
                _check_free(to_user, appointment)
                rows.filter(host=from_user).update(host=to_user)
            _save(appointment, now)
            if appointment.status == AppointmentStatus.CONFIRMED:
                body = appointment_payload(_reloaded(appointment))
                emit(appointment.company, events.BOOKING_RESCHEDULED, {
                    **body, "rescheduledAppointment": body,
                    "previousStart": body["start"], "previousEnd": body["end"],
                })


def _check_free(user, appointment: Appointment) -> None:
    overlapping = {"start__lt": appointment.end, "end__gt": appointment.start}
    held = AppointmentHost.objects.filter(host=user, active=True, **overlapping).exclude(
        appointment=appointment).exists()
    blocked = BusyTime.objects.filter(
        Q(company__isnull=True) | Q(company_id=appointment.company_id), user=user,
        **overlapping).exists()
    if held or blocked:
        raise Conflict(f"{user.full_name or user.email} is not free at "
                       f"{iso(appointment.start)}", field="reassignTo")


def _reloaded(appointment: Appointment) -> Appointment:
    return appointments_queryset(appointment.company).get(pk=appointment.pk)


def appointments_expire(*, now: dt.datetime | None = None) -> int:
    """Provisional bookings past their hold become ``expired`` and free their slot."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Appointment.objects.filter(status__in=PENDING_STATUSES,
                                              hold_expires_at__lte=now)
                   .select_for_update(skip_locked=True).values_list("pk", flat=True))
        if due:
            AppointmentHost.objects.filter(appointment_id__in=due).update(active=False)
            Appointment.objects.filter(pk__in=due).update(
                status=AppointmentStatus.EXPIRED, updated_at=now, hold_expires_at=None)
    return len(due)


# --- helpers ---------------------------------------------------------------------------


def _locked(appointment: Appointment) -> Appointment:
    """The appointment re-read under a row lock (its status is then current)."""
    fresh = (Appointment.objects.select_for_update(of=("self",))
             .select_related("meeting_type", "company").get(pk=appointment.pk))
    fresh._prefetched_objects_cache = getattr(appointment, "_prefetched_objects_cache", {})
    return fresh


def _release(appointment: Appointment) -> None:
    AppointmentHost.objects.filter(appointment=appointment).update(active=False)


def _save(appointment: Appointment, now: dt.datetime, **fields) -> None:
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.updated_at = now
    appointment.save(update_fields=[*fields, "updated_at"])


def appointment_update(*, appointment: Appointment, start: dt.datetime | None = None,
                       duration: int | None = None, now: dt.datetime | None = None,
                       **edits) -> Appointment:
    """``PATCH /v4/appointment/:id``: a new ``start`` or ``duration`` reschedules in
    place, the other fields are edits; all in one transaction."""
    with transaction.atomic():
        if start is not None or duration is not None:
            appointment = appointment_reschedule(
                appointment=appointment, start=start or appointment.start, duration=duration,
                now=now)
        if edits:
            appointment = appointment_edit(appointment=appointment, now=now, **edits)
    return appointment


# --- usage (metering) ----------------------------------------------------------------


def usage_by_month(*, company: Company, first: dt.date, last: dt.date) -> list[dict]:
    """Bookings created through the API per month of the company's time zone, from
    the month of ``first`` to the month of ``last`` (months without any included).
    Counted from the appointments themselves, so no counter row serialises bookings;
    a booking counts once it is made, whatever becomes of it."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from ..models import AppointmentSource
    from ..timeutils import get_zone

    zone = get_zone(company.timezone)
    months = _months(first, last)
    lo = dt.datetime.combine(months[0], dt.time(0), zone)
    hi = dt.datetime.combine(_next_month(months[-1]), dt.time(0), zone)
    rows = (Appointment.objects.filter(company=company, source=AppointmentSource.API,
                                       created_at__gte=lo, created_at__lt=hi)
            .annotate(month=TruncMonth("created_at", tzinfo=zone))
            .values("month").annotate(n=Count("pk")).values_list("month", "n"))
    counts = {(month.year, month.month): n for month, n in rows}
    return [{"month": f"{m:%Y-%m}", "bookings": counts.get((m.year, m.month), 0),
             "periodStart": iso(dt.datetime.combine(m, dt.time(0), zone), zone),
             "periodEnd": iso(dt.datetime.combine(_next_month(m), dt.time(0), zone), zone)}
            for m in months]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    month, end = first.replace(day=1), last.replace(day=1)
    out = []
    while month <= end:
        out.append(month)
        month = _next_month(month)
    return out


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
