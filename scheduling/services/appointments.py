"""Appointments after booking: confirm, decline, cancel, reschedule, edit, guests,
no-show, and the expiry of provisional holds.

Each change announces itself in its own transaction: a signal tells crm (the
contact's timeline) and ``emit`` writes the webhook event to the outbox. Only
appointments that were confirmed produce booking webhooks: ``booking_created``
fires when an appointment becomes confirmed, so a consumer never hears of a
cancellation or reschedule of a booking it was never told about.
"""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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
    CancelSource,
    Company,
    new_manage_nonce,
)
from ..timeutils import OUT_OF_RANGE, get_zone, iso, within_range
from . import bookings
from .bookings import PROVISIONAL_HOLD, SLOT_TAKEN

NOT_FOUND = "Appointment not found"
UNKNOWN_ATTENDEE = "No attendee with this id in this appointment"
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


def appointments_hosted_by(company: Company, user_uuid):
    """The company's appointments ``user_uuid`` hosts (meetergo's lists are the acting
    user's), earliest first."""
    return (appointments_queryset(company).filter(host_rows__host__uuid=user_uuid)
            .order_by("start", "pk"))


def appointments_today(*, company: Company, user, now: dt.datetime | None = None
                       ) -> list[Appointment]:
    """``user``'s appointments that take place (confirmed or provisional) during
    today in their own time zone, earliest first."""
    now = now or timezone.now()
    zone = get_zone(user.timezone)
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), zone)
    following = dt.datetime.combine(midnight.date() + dt.timedelta(days=1), dt.time(0), zone)
    return list(appointments_hosted_by(company, user.uuid).filter(
        status__in=ACTIVE_STATUSES, start__lt=following, end__gt=midnight))


def appointment_current(*, company: Company, user, now: dt.datetime | None = None
                        ) -> Appointment | None:
    """``user``'s confirmed appointment in progress at ``now``, if any (a host holds
    one appointment at a time, so there is at most one)."""
    now = now or timezone.now()
    return appointments_hosted_by(company, user.uuid).filter(
        status=AppointmentStatus.CONFIRMED, start__lte=now, end__gt=now).first()


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

# Statuses in which an appointment no longer takes place: ``isCancelled`` in its answers.
ENDED_STATUSES = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.DECLINED,
                            AppointmentStatus.EXPIRED})
# What ``cancel.actionSource`` reads for rows ended before the source was kept.
_SOURCE_BY_STATUS = {AppointmentStatus.DECLINED: CancelSource.HOST,
                     AppointmentStatus.EXPIRED: CancelSource.SYSTEM}


def attendee_payload(attendee: Attendee) -> dict:
    """An attendee: meetergo's ``id`` beside Termin's ``attendeeId`` (the same uuid)."""
    key = str(attendee.uuid)
    return {
        "id": key,
        "attendeeId": key,
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


def host_payload(host, *, with_email: bool = True) -> dict:
    """A host as meetergo's appointments and booking events show it. The attendee's
    view leaves the email out, as the public pages do."""
    return {
        "id": str(host.uuid),
        "email": host.email if with_email else None,
        "givenName": host.given_name,
        "familyName": host.family_name,
        "fullName": host.full_name,
        "slug": host.slug,
    }


def primary_attendee(appointment: Appointment) -> Attendee | None:
    attendees = list(appointment.attendees.all())
    return next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)


def cancel_payload(appointment: Appointment, zone=None) -> dict | None:
    """meetergo's ``cancel``: who ended the appointment, when and why; None while it
    takes place."""
    if appointment.status not in ENDED_STATUSES:
        return None
    source = appointment.cancel_source or _SOURCE_BY_STATUS.get(appointment.status)
    return {
        "actionSource": source or None,
        "actionAt": iso(appointment.cancelled_at or appointment.updated_at, zone),
        "actionBy": appointment.cancel_actor or None,
        "reason": appointment.cancel_reason or None,
    }


def appointment_payload(appointment: Appointment, *, internal: bool = True) -> dict:
    """An appointment as ``/v4/appointment/:id`` shows it and booking events carry it:
    Termin's fields and meetergo's documented ones side by side.

    Times are in the attendee's time zone when they gave one, else UTC, always
    with a numeric offset. ``internal=False`` leaves out what only the company
    sees (the attendee's view). Reads only what ``appointments_queryset`` loads
    (meeting type, company, hosts, attendees), so a page of them costs no query
    per row. meetergo's ``secret`` is not here: Termin keeps only its digest and
    shows the secret once, in the booking's answer.
    """
    attendees = list(appointment.attendees.all())
    hosts = list(appointment.hosts.all())
    primary = next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)
    zone = get_zone(primary.timezone) if primary and primary.timezone else None
    meeting_type = appointment.meeting_type
    attendee_bodies = [attendee_payload(a) for a in attendees]
    host_ids = [str(host.uuid) for host in hosts]
    meeting_link = appointment.meeting_link or None
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
        "meetingLink": meeting_link,
        "icsTitle": appointment.ics_title or (meeting_type.ics_title if meeting_type else ""),
        "icsDescription": appointment.ics_description
        or (meeting_type.ics_description if meeting_type else ""),
        "hostIds": host_ids,
        "hosts": [host_payload(host, with_email=internal) for host in hosts],
        "attendee": next((b for a, b in zip(attendees, attendee_bodies, strict=True)
                          if a is primary), None),
        "attendees": attendee_bodies,
        "attendeeIds": [b["id"] for b in attendee_bodies],
        "bringalongEmails": appointment.bringalong_emails,
        "isCancelled": appointment.status in ENDED_STATUSES,
        "cancel": cancel_payload(appointment, zone),
        "meetingInfo": {
            "name": appointment.meeting_type_title,
            "description": meeting_type.description if meeting_type else "",
            "duration": appointment.duration,
            "channel": appointment.channel,
            "meetingLink": meeting_link,
        },
        "hostingInfo": {"mainHost": host_ids[0] if host_ids else None,
                        "meetingLink": meeting_link},
        "meetingType": {
            "id": str(meeting_type.uuid), "slug": meeting_type.slug,
            "meetingInfo": {"name": meeting_type.title,
                            "duration": meeting_type.default_duration},
        } if meeting_type else None,
        "companyId": str(appointment.company.uuid),
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


def appointment_decline(*, appointment: Appointment, reason: str = "", actor=None,
                        now: dt.datetime | None = None) -> Appointment:
    """The host declines a provisional booking; its slot is free again. ``actor``
    is the member who declined (the host's confirmation page has none)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in PENDING_STATUSES:
            raise Conflict(f"Only a provisional booking can be declined; this one is "
                           f"{appointment.status}")
        _release(appointment)
        source, actor_id = _who(appointment, actor=actor, by_attendee=False,
                                default=CancelSource.HOST)
        _save(appointment, now, status=AppointmentStatus.DECLINED, cancelled_at=now,
              cancel_reason=reason or "", hold_expires_at=None, cancel_source=source,
              cancel_actor=actor_id)
        _tell_crm(signals.attendee_booking_cancelled, appointment, occurred_at=now,
                  reason=reason or None)
        notifications.on_declined(appointment)
    return appointment


def appointment_cancel(*, appointment: Appointment, reason: str = "",
                       notify_attendees: bool = True, by_attendee: bool = False,
                       actor=None, attendee_id=None, now: dt.datetime | None = None
                       ) -> Appointment:
    """Cancel a confirmed or provisional appointment; its slot is free again.
    ``booking_cancelled`` is written when it had been confirmed.

    Records who did it (``cancel.actionSource``/``actionBy``): the attendee when
    ``by_attendee`` (they hold the secret or the manage link), else ``actor`` (the
    acting member: ``host`` when they host it, ``admin`` otherwise), else ``admin``
    (staff in the admin console, or a host's removal from the company).

    ``attendee_id`` names one attendee: a bring-along guest leaves and the
    appointment goes on (``appointment_guest_remove``); the booker's own booking
    is cancelled whole, guests included.
    """
    if attendee_id is not None:
        attendee = _attendee_of(appointment, attendee_id)
        if not attendee.is_primary:
            return appointment_guest_remove(
                appointment=appointment, attendee=attendee, reason=reason,
                notify_attendees=notify_attendees, by_attendee=by_attendee, now=now)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"This appointment is already {appointment.status}")
        was_confirmed = appointment.status == AppointmentStatus.CONFIRMED
        _release(appointment)
        source, actor_id = _who(appointment, actor=actor, by_attendee=by_attendee)
        # A new nonce: the manage links sent so far stop working.
        _save(appointment, now, status=AppointmentStatus.CANCELLED, cancelled_at=now,
              cancel_reason=reason or "", hold_expires_at=None,
              manage_nonce=new_manage_nonce(), cancel_source=source, cancel_actor=actor_id)
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


def appointment_guest_remove(*, appointment: Appointment, attendee: Attendee,
                             reason: str = "", notify_attendees: bool = True,
                             by_attendee: bool = False, now: dt.datetime | None = None
                             ) -> Appointment:
    """One bring-along guest leaves; the appointment goes on for the others.
    ``booking_cancelled`` is written for it when the appointment is confirmed (as
    meetergo announces an attendee leaving a group booking), carrying the
    appointment as it now is plus ``attendeeId`` and ``removedAttendee``. The guest
    gets no email: Termin sends the cancellation only when the whole appointment is
    cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"This appointment is already {appointment.status}")
        gone = Attendee.objects.filter(pk=attendee.pk, appointment=appointment).first()
        if gone is None or gone.is_primary:
            raise DomainError(UNKNOWN_ATTENDEE, field="attendeeId")
        removed = attendee_payload(gone)
        gone.delete()
        guests = [email for email in appointment.bringalong_emails if email != gone.email]
        _save(appointment, now, bringalong_emails=guests)
        if appointment.status == AppointmentStatus.CONFIRMED:
            emit(appointment.company, events.BOOKING_CANCELLED, {
                **appointment_payload(_reloaded(appointment)), "reason": reason or None,
                "notifyAttendees": notify_attendees,
                "cancelledBy": "attendee" if by_attendee else "host",
                "attendeeId": removed["id"], "removedAttendee": removed,
            })
    return _reloaded(appointment)


def appointment_guests_add(*, appointment: Appointment, emails: list[str],
                           now: dt.datetime | None = None) -> Appointment:
    """Add bring-along guests (``PATCH .../guest-emails``): at most ``MAX_BRINGALONG``
    in all, as at booking; addresses already attending are not added twice. Each
    new guest gets the invitation (without the manage link) once the appointment
    is confirmed; a confirmed one writes ``booking_rescheduled`` with unchanged
    times, as other changes its attendees notice do."""
    wanted = _guest_emails(emails)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"Guests cannot be added to a {appointment.status} appointment")
        present = list(Attendee.objects.filter(appointment=appointment))
        known = {a.email.lower() for a in present if a.email}
        new = [email for email in wanted if email not in known]
        guests = [a for a in present if not a.is_primary]
        if len(guests) + len(new) > bookings.MAX_BRINGALONG:
            raise DomainError(f"At most {bookings.MAX_BRINGALONG} guests are allowed; this "
                              f"appointment has {len(guests)}", field="emails")
        if not new:
            return _reloaded(appointment)
        primary = next((a for a in present if a.is_primary), None)
        reminders = primary.receive_reminders if primary else True
        Attendee.objects.bulk_create([
            Attendee(appointment=appointment, is_primary=False, email=email,
                     receive_reminders=reminders) for email in new])
        _save(appointment, now, bringalong_emails=[*appointment.bringalong_emails, *new])
        appointment = _reloaded(appointment)
        if appointment.status == AppointmentStatus.CONFIRMED:
            body = appointment_payload(appointment)
            emit(appointment.company, events.BOOKING_RESCHEDULED, {
                **body, "rescheduledAppointment": body,
                "previousStart": body["start"], "previousEnd": body["end"],
                "addedGuests": new,
            })
        notifications.on_guests_added(appointment, emails=new)
    return appointment


def _guest_emails(emails) -> list[str]:
    """Valid addresses, lower-cased, each once; DomainError naming ``emails.<i>``."""
    cleaned = [str(email).strip().lower() for email in emails or ()]
    if not cleaned:
        raise DomainError("Send at least one email address", field="emails")
    for index, email in enumerate(cleaned):
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError("Enter a valid email address", field=f"emails.{index}") from None
    return list(dict.fromkeys(cleaned))


def _attendee_of(appointment: Appointment, attendee_id) -> Attendee:
    key = _uuid(attendee_id)
    found = (next((a for a in appointment.attendees.all() if a.uuid == key), None)
             if key is not None else None)
    if found is None:
        raise DomainError(UNKNOWN_ATTENDEE, field="attendeeId")
    return found


def _who(appointment: Appointment, *, actor, by_attendee: bool,
         default: str = CancelSource.ADMIN) -> tuple[str, str]:
    """``cancel.actionSource`` and ``actionBy`` of a change by ``actor`` (a User) or
    by the attendee."""
    if by_attendee:
        attendee = primary_attendee(appointment)
        return CancelSource.ATTENDEE, str(attendee.uuid) if attendee else ""
    if actor is None:
        return default, ""
    hosting = any(host.pk == actor.pk for host in appointment.hosts.all())
    return (CancelSource.HOST if hosting else CancelSource.ADMIN), str(actor.uuid)


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
                           duration: int | None = None, ignore_availability: bool = False,
                           now: dt.datetime | None = None) -> Appointment:
    """Move the appointment to ``start`` (same id, same hosts), checked like a new
    booking of its meeting type but ignoring its own time. Writes
    ``booking_rescheduled`` with the previous times when it is confirmed.

    ``ignore_availability`` (owners and admins only; the API checks the role)
    skips the slot rules (schedules, busy time, buffers, notice, horizon, daily
    limit) but never the rule that a host holds one appointment at a time."""
    now = now or timezone.now()
    if not within_range(start):
        raise DomainError(OUT_OF_RANGE, field="start")
    meeting_type = appointment.meeting_type
    minutes = _reschedule_minutes(appointment, duration, ignore_availability)
    with transaction.atomic():
        host_ids = list(AppointmentHost.objects.filter(appointment=appointment)
                        .values_list("host_id", flat=True))
        bookings.lock_hosts(host_ids)
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"A {appointment.status} appointment cannot be rescheduled")
        previous = (appointment.start, appointment.end)
        end = start + dt.timedelta(minutes=minutes)
        # Its own holds stop counting as busy for the check (this transaction only).
        AppointmentHost.objects.filter(appointment=appointment).update(active=False)
        if ignore_availability:
            _check_no_overlap(host_ids, start, end)
        else:
            free = bookings.free_hosts(meeting_type, host_ids=host_ids, start=start,
                                       duration=minutes, now=now)
            if not set(host_ids) <= set(free):
                raise DomainError(SLOT_TAKEN, field="start")
        with bookings.refused_overlap():
            AppointmentHost.objects.filter(appointment=appointment).update(
                start=start, end=end, active=True)
        # A new nonce: the manage links sent so far stop working; the reschedule
        # email brings the booker a new one.
        _save(appointment, now, start=start, end=end, manage_nonce=new_manage_nonce())
        _announce_rescheduled(appointment, previous, now)
        notifications.on_rescheduled(appointment, previous_start=previous[0])
    return appointment


def _reschedule_minutes(appointment: Appointment, duration: int | None,
                        ignore_availability: bool) -> int:
    """The new length: ``duration`` when allowed by the meeting type, else the current
    one when the meeting type still allows it (or availability is ignored)."""
    meeting_type = appointment.meeting_type
    if meeting_type is None:
        if ignore_availability and duration is None:
            return appointment.duration
        raise DomainError("The meeting type of this appointment no longer exists",
                          field="start")
    minutes = bookings.check_duration(meeting_type, duration)
    if duration is None and (ignore_availability
                             or appointment.duration in meeting_type.durations):
        minutes = appointment.duration
    return minutes


def _check_no_overlap(host_ids, start: dt.datetime, end: dt.datetime) -> None:
    """No host holds another appointment in ``[start, end)`` (the database's exclusion
    constraint refuses it too on PostgreSQL; this says so on every database).
    Call while holding the hosts' locks."""
    if AppointmentHost.objects.filter(host_id__in=host_ids, active=True, start__lt=end,
                                      end__gt=start).exists():
        raise DomainError(SLOT_TAKEN, field="start")


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
