"""Bookings: turning a requested start into an appointment that holds its hosts.

The rules a booking is checked against, and the host locks that make them hold
under concurrency, are ``rules``'; what a booking announces (the contact's
timeline, ``booking_created``, the emails) is ``announcements``'.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .. import publiclimits, selectors
from ..choices import QueueKind
from ..models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Attendee,
    Company,
    MeetingType,
    OneTimeBookingLink,
    User,
)
from . import announcements, one_time_links, rules
from .rules import AttendeeInput, HoldLimitReached

__all__ = ["AttendeeInput", "BookingResult", "HoldLimitReached", "booking_create", "split_name"]


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    secret: str  # shown once; only its digest is stored


# --- the booking -------------------------------------------------------------------


def booking_create(
    *,
    company: Company,
    meeting_type: MeetingType,
    start: dt.datetime,
    attendee: AttendeeInput,
    duration: int | None = None,
    host_ids: list | None = None,
    queue_id=None,
    channel: str | None = None,
    location: str | None = None,
    skip_notifications: bool = False,
    phone_only: bool = False,
    bringalong_emails: list[str] | None = None,
    ics_title: str = "",
    ics_description: str = "",
    source: str = AppointmentSource.API,
    client_address: str | None = None,
    one_time_link: OneTimeBookingLink | None = None,
    now: dt.datetime | None = None,
) -> BookingResult:
    """Book ``start`` of ``meeting_type`` for ``attendee``: confirmed at once, or
    provisional (``pending_optin`` / ``pending_host``) when the meeting type asks for
    double opt-in or host confirmation, the slot held either way; announced in the same
    transaction (``announcements.booked``). Refusals are DomainErrors as documented.

    ``client_address`` marks an anonymous booker (the pages): a provisional booking
    must pass ``check_provisional_holds`` (HoldLimitReached, a 429); a booking with a
    key has its key's rate limit instead. ``one_time_link`` (one of this meeting
    type's) is claimed in the same transaction (a spent one raises ``LinkSpent``).
    """
    now = now or timezone.now()
    minutes = selectors.check_duration(meeting_type, duration)
    attendee = rules.check_attendee(meeting_type, attendee, phone_only=phone_only)
    guests = rules.check_bringalong(bringalong_emails)
    placement, room_token = _place(meeting_type, attendee, channel=channel, location=location)
    secret, digest = rules.new_secret()
    status = _initial_status(meeting_type)
    anonymous_hold = client_address is not None and status != AppointmentStatus.CONFIRMED
    with transaction.atomic():
        if one_time_link is not None:
            one_time_links.one_time_link_claim(link=one_time_link, now=now)
        hosts = _hosts_taking(meeting_type, host_ids=host_ids, queue_id=queue_id, start=start,
                              minutes=minutes, now=now, email=attendee.email)
        if anonymous_hold:
            rules.check_provisional_holds(host_ids=[host.pk for host in hosts],
                                          email=attendee.email, address=client_address, now=now)
        appointment = _appointment_create(
            meeting_type, hosts, start=start, minutes=minutes, status=status,
            placement=placement, now=now, company=company, room_token=room_token,
            ics_title=ics_title or "", ics_description=ics_description or "",
            bringalong_emails=guests, skip_notifications=skip_notifications,
            secret_digest=digest, source=source)
        if anonymous_hold:
            _remember_anonymous_hold(appointment, hosts, address=client_address, now=now)
        if one_time_link is not None:
            one_time_links.one_time_link_booked(link=one_time_link, appointment=appointment)
        attendees = _insert_attendees(appointment, attendee, guests)
        announcements.booked(appointment, hosts=hosts, attendees=attendees, now=now)
    return BookingResult(appointment, secret)


def _place(meeting_type: MeetingType, attendee: AttendeeInput, *, channel: str | None,
           location: str | None) -> tuple[rules.Placement, str]:
    """Where the meeting happens, and the token of its own room (``connect``'s link)."""
    room_token = secrets.token_urlsafe(24)
    return rules.place(meeting_type, channel=channel, location=location,
                       attendee_phone=attendee.phone, notes=attendee.notes,
                       room_token=room_token), room_token


def _hosts_taking(meeting_type: MeetingType, *, host_ids, queue_id, start: dt.datetime,
                  minutes: int, now: dt.datetime, email: str) -> list[User]:
    """Who takes the booking: every free co-host, or the least busy free candidate
    (one at a limit is not free). Locks all the meeting type's hosts first (call
    inside the booking's transaction)."""
    every_host = rules.hosts_locked(meeting_type)
    candidates = rules.candidate_hosts(meeting_type, hosts=every_host, host_ids=host_ids,
                                       queue_id=queue_id)
    free = rules.free_hosts(meeting_type, host_ids=[host.pk for host in candidates],
                            start=start, duration=minutes, now=now, hosts=every_host,
                            attendee_email=email)
    chosen = free if meeting_type.kind == QueueKind.CO_HOST else [rules.least_busy(free, now)]
    return [host for host in candidates if host.pk in chosen]


def _appointment_create(meeting_type: MeetingType, hosts: list[User], *, start: dt.datetime,
                        minutes: int, status: str, placement: rules.Placement,
                        now: dt.datetime, **fields) -> Appointment:
    """The appointment row and its hosts' holds; a provisional one holds its slot for
    ``PROVISIONAL_HOLD``."""
    confirmed = status == AppointmentStatus.CONFIRMED
    appointment = Appointment.objects.create(
        meeting_type=meeting_type, meeting_type_title=meeting_type.title, start=start,
        end=start + dt.timedelta(minutes=minutes), status=status, channel=placement.channel,
        location=placement.location, meeting_link=placement.meeting_link, created_at=now,
        updated_at=now, hold_expires_at=None if confirmed else now + rules.PROVISIONAL_HOLD,
        confirmed_at=now if confirmed else None, **fields)
    rules.insert_holds(appointment, [host.pk for host in hosts])
    return appointment


def _remember_anonymous_hold(appointment: Appointment, hosts: list[User], *, address: str,
                             now: dt.datetime) -> None:
    """Count the hold against the booker's address. Before commit, while the hosts are
    locked: the next booking of these hosts sees it. Should the transaction roll back,
    the id matches no hold."""
    publiclimits.address_hold_remember(
        host_ids=[host.pk for host in hosts], address=address,
        appointment_id=str(appointment.uuid), keep=rules.LONGEST_PROVISIONAL.total_seconds(),
        now=now.timestamp())


def _initial_status(meeting_type: MeetingType) -> str:
    if meeting_type.double_opt_in:
        return AppointmentStatus.PENDING_OPTIN
    if meeting_type.require_host_confirmation:
        return AppointmentStatus.PENDING_HOST
    return AppointmentStatus.CONFIRMED


def _insert_attendees(appointment: Appointment, attendee: AttendeeInput,
                      guests: list[str]) -> list[Attendee]:
    rows = [Attendee(
        appointment=appointment, is_primary=True, email=attendee.email,
        first_name=attendee.first_name, last_name=attendee.last_name, phone=attendee.phone,
        language=attendee.language, timezone=attendee.timezone,
        receive_reminders=attendee.receive_reminders, notes=attendee.notes,
    )]
    rows += [Attendee(appointment=appointment, is_primary=False, email=email,
                      receive_reminders=attendee.receive_reminders) for email in guests]
    return Attendee.objects.bulk_create(rows)


def split_name(fullname: str) -> tuple[str, str]:
    """``"Jane van Smith"`` -> ``("Jane", "van Smith")``."""
    first, _, last = (fullname or "").strip().partition(" ")
    return first, last.strip()

