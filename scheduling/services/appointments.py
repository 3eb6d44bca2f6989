"""Appointments after booking: confirm, decline, cancel, reschedule, edit, guests,
no-show, and the expiry of provisional holds.

Each change is checked against the booking ``rules`` and announces itself
(``announcements``: the contact's timeline, the webhook outbox, the emails) in
its own transaction.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import selectors
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..core.lookups import parse_uuid
from ..core.timeutils import OUT_OF_RANGE, add_months, get_zone, iso, within_range
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
    User,
    new_manage_nonce,
)
from ..payloads import attendee_payload, primary_attendee
from . import announcements, rules

NOT_FOUND = "Appointment not found"
UNKNOWN_ATTENDEE = "No attendee with this id in this appointment"
EDITABLE = ("channel", "location", "ics_title", "ics_description", "internal_note")


# --- reading ---------------------------------------------------------------------


def appointment_get(*, company: Company, appointment_id, for_update: bool = False
                    ) -> Appointment:
    """The company's appointment with this uuid, or NotFound."""
    found = None
    key = parse_uuid(appointment_id)
    if key is not None:
        rows = selectors.appointments_for_payload(company=company).filter(uuid=key)
        if for_update:
            rows = rows.select_for_update(of=("self",))
        found = rows.first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def appointments_hosted_by(company: Company, user_uuid):
    """The company's appointments ``user_uuid`` hosts (meetergo's lists are the acting
    user's), earliest first."""
    return (selectors.appointments_for_payload(company=company)
            .filter(host_rows__host__uuid=user_uuid)
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
    key = parse_uuid(appointment_id)
    found = (selectors.appointments_for_payload().filter(uuid=key).first()
             if key is not None else None)
    if found is None:
        raise NotFound(NOT_FOUND)
    if not rules.secret_matches(found, secret):
        raise Forbidden("Invalid or missing appointment secret (x-appointment-secret)")
    return found


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
                  hold_expires_at=now + rules.PROVISIONAL_HOLD)
        else:
            _save(appointment, now, status=AppointmentStatus.CONFIRMED, confirmed_at=now,
                  hold_expires_at=None)
        announcements.confirmed(appointment, opted_in=opted_in, now=now)
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
        announcements.declined(appointment, reason=reason, now=now)
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
        announcements.cancelled(appointment, was_confirmed=was_confirmed, reason=reason,
                                notify_attendees=notify_attendees, by_attendee=by_attendee,
                                now=now)
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
        appointment = _reloaded(appointment)
        announcements.guest_removed(appointment, removed=removed, reason=reason,
                                    notify_attendees=notify_attendees, by_attendee=by_attendee)
    return appointment


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
        if len(guests) + len(new) > rules.MAX_BRINGALONG:
            raise DomainError(f"At most {rules.MAX_BRINGALONG} guests are allowed; this "
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
        announcements.guests_added(appointment, emails=new)
    return appointment


def _guest_emails(emails) -> list[str]:
    """Valid addresses, lower-cased, each once; DomainError naming ``emails.<i>``."""
    cleaned = rules.check_emails(emails, field_name="emails")
    if not cleaned:
        raise DomainError("Send at least one email address", field="emails")
    return cleaned


def _attendee_of(appointment: Appointment, attendee_id) -> Attendee:
    key = parse_uuid(attendee_id)
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
        announcements.no_show(appointment, now=now)
    return appointment


def appointment_reschedule(*, appointment: Appointment, start: dt.datetime,
                           duration: int | None = None, ignore_availability: bool = False,
                           now: dt.datetime | None = None) -> Appointment:
    """Move the appointment to ``start`` (same id, same hosts), checked like a new
    booking of its meeting type but ignoring its own time. Writes
    ``booking_rescheduled`` with the previous times when it is confirmed.

    ``ignore_availability`` (owners and admins only; the API checks the role)
    skips the slot rules (schedules, busy time, buffers, notice, horizon, booking
    limits) but never the rule that a host holds one appointment at a time."""
    now = now or timezone.now()
    if not within_range(start):
        raise DomainError(OUT_OF_RANGE, field="start")
    meeting_type = appointment.meeting_type
    minutes = _reschedule_minutes(appointment, duration, ignore_availability)
    with transaction.atomic():
        host_ids = rules.lock_for_reschedule(appointment)
        appointment = _locked(appointment)
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"A {appointment.status} appointment cannot be rescheduled")
        previous = (appointment.start, appointment.end)
        end = start + dt.timedelta(minutes=minutes)
        # Its own holds stop counting as busy for the check (this transaction only).
        AppointmentHost.objects.filter(appointment=appointment).update(active=False)
        if ignore_availability:
            rules.check_no_overlap(host_ids, start, end)
        else:
            free = rules.free_hosts(meeting_type, host_ids=host_ids, start=start,
                                    duration=minutes, now=now,
                                    exclude_appointment_id=appointment.pk)
            if not set(host_ids) <= set(free):
                raise rules.SlotTaken()
        with rules.refused_overlap():
            AppointmentHost.objects.filter(appointment=appointment).update(
                start=start, end=end, active=True)
        # A new nonce: the manage links sent so far stop working; the reschedule
        # email brings the booker a new one.
        _save(appointment, now, start=start, end=end, manage_nonce=new_manage_nonce())
        announcements.rescheduled(appointment, previous=previous, now=now)
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
    minutes = selectors.check_duration(meeting_type, duration)
    if duration is None and (ignore_availability
                             or appointment.duration in meeting_type.durations):
        minutes = appointment.duration
    return minutes


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
        if set(fields) - {"internal_note"}:
            announcements.changed(appointment)
    return appointment


def _placement(appointment: Appointment, changes: dict) -> dict:
    if appointment.meeting_type is None:
        raise DomainError("The meeting type of this appointment no longer exists",
                          field="channel")
    attendee = primary_attendee(appointment)
    placement = rules.place(
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
    return list(selectors.appointments_for_payload(company=company).filter(
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
        rules.lock_hosts(User.objects.filter(pk__in=[from_user.pk, to_user.pk]))
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
                announcements.changed(_reloaded(appointment))


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
    return selectors.appointments_for_payload(company=appointment.company).get(pk=appointment.pk)


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
    """The appointment re-read under a row lock, with what its payload reads (its
    status, hosts and attendees are then current)."""
    return (selectors.appointments_for_payload().select_for_update(of=("self",))
            .get(pk=appointment.pk))


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

    from ..core.timeutils import get_zone
    from ..models import AppointmentSource

    zone = get_zone(company.timezone)
    months = _months(first, last)
    lo = dt.datetime.combine(months[0], dt.time(0), zone)
    hi = dt.datetime.combine(add_months(months[-1], 1), dt.time(0), zone)
    rows = (Appointment.objects.filter(company=company, source=AppointmentSource.API,
                                       created_at__gte=lo, created_at__lt=hi)
            .annotate(month=TruncMonth("created_at", tzinfo=zone))
            .values("month").annotate(n=Count("pk")).values_list("month", "n"))
    counts = {(month.year, month.month): n for month, n in rows}
    return [{"month": f"{m:%Y-%m}", "bookings": counts.get((m.year, m.month), 0),
             "periodStart": iso(dt.datetime.combine(m, dt.time(0), zone), zone),
             "periodEnd": iso(dt.datetime.combine(add_months(m, 1), dt.time(0), zone), zone)}
            for m in months]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    month, end = first.replace(day=1), last.replace(day=1)
    out = []
    while month <= end:
        out.append(month)
        month = add_months(month, 1)
    return out
