"""Booking rules: what a booking, a reschedule or an edit is checked against, and
the host locks and holds that make those checks hold however many requests race.

No double booking:

* Every booking, reschedule and confirmation first locks its hosts' user rows
  (``lock_hosts``: ``SELECT ... FOR NO KEY UPDATE``, in primary-key order so two
  bookings never wait on each other in a cycle), then checks the start against
  the same rules the slots use (``free_hosts``: schedule, buffers, notice,
  horizon, booking limits) on committed data, then writes. The lock is what makes
  buffers and limits hold: every booking of a meeting type locks all its hosts,
  so bookings counted by one limit (the host's, or one email's with the meeting
  type) wait for each other.
* On PostgreSQL the exclusion constraint on ``AppointmentHost`` refuses any
  overlap of one host's active holds, so the database guarantees it even for a
  writer that skipped the lock. A refused insert is ``SlotTaken``, the documented
  400 (``refused_overlap``).
* On SQLite every write transaction starts ``IMMEDIATE`` (settings), so
  bookings are serialised whole.

The duration, channel and queue rules are the slots' own (``selectors``), so a
slot that is shown can be booked and the other way round.
"""

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass, field
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet

from .. import publiclimits, selectors, slots
from ..choices import LINK_CHANNELS, Channel
from ..core.errors import Conflict, DomainError
from ..core.phones import normalize_phone
from ..models import PENDING_STATUSES, Appointment, AppointmentHost, MeetingType, User
from . import caldav, limits

SLOT_TAKEN = "The selected time slot is no longer available"
HOST_REQUIRED = "hostIds or queueId is required"
# A provisional booking holds its slot this long unless confirmed or declined first.
PROVISIONAL_HOLD = dt.timedelta(hours=24)
# The longest a booking stays provisional: an opt-in confirmed into a host's decision
# holds for another PROVISIONAL_HOLD.
LONGEST_PROVISIONAL = 2 * PROVISIONAL_HOLD
HOLDS_PER_EMAIL = ("This email already has {n} bookings of this host awaiting confirmation; "
                   "confirm or cancel one before booking another")
HOLDS_PER_ADDRESS = ("Too many bookings of this host from this address are awaiting "
                     "confirmation; confirm or cancel one before booking another")
MAX_BRINGALONG = 5
# PostgreSQL's SQLSTATE for an exclusion constraint violation.
EXCLUSION_VIOLATION = "23P01"
_OVERLAP_CONSTRAINT = re.compile(r"appointment_host_no_overlap")


class SlotTaken(Conflict):
    """The start is no longer free: another appointment, busy time or a slot rule
    took it. A conflict with the current state, answered as meetergo answers it: a
    400 naming ``start``, so callers tell it from other refusals by its class."""

    status = 400

    def __init__(self):
        super().__init__(SLOT_TAKEN, field="start")


class LimitReached(SlotTaken):
    """The start lies in a period where one of the meeting type's booking limits is
    reached: for the time (a 400 naming ``start``, which the booking page answers
    with the next free times) or, for an ``attendeeEmail`` limit, for the booker's
    email (naming ``attendee.email``)."""

    def __init__(self, limit: slots.Limit):
        field = "attendee.email" if limit.scope == slots.ATTENDEE else "start"
        Conflict.__init__(self, f"Booking limit reached: {limits.describe(limit)}", field=field)
        self.limit = limit


class HoldLimitReached(DomainError):
    """An anonymous booker already holds as many provisional bookings of a host as
    allowed; ``retry_after`` is when the first of them lets go at the latest (seconds)."""

    status = 429

    def __init__(self, message: str, *, field: str | None, retry_after: int):
        super().__init__(message, field=field)
        self.retry_after = retry_after


@dataclass
class AttendeeInput:
    """The booker as the booking document describes them (names already split)."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    receive_reminders: bool = True
    notes: dict = field(default_factory=dict)
    language: str = ""
    timezone: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a meeting happens: its channel, location text and join link."""

    channel: str
    location: str = ""
    meeting_link: str = ""


# --- the attendee's secret -----------------------------------------------------------


def new_secret() -> tuple[str, str]:
    """A fresh attendee secret (32 random bytes) and its SHA-256 digest."""
    secret = secrets.token_urlsafe(32)
    return secret, secret_digest(secret)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(appointment: Appointment, secret: str | None) -> bool:
    """Whether ``secret`` is the appointment's, compared in constant time."""
    if not secret:
        return False
    return hmac.compare_digest(secret_digest(secret), appointment.secret_digest)


# --- the booker ----------------------------------------------------------------------


def check_phone(value: str | None, *, field_name: str = "attendee.phone") -> str:
    return normalize_phone(value, field=field_name)


def check_attendee(meeting_type: MeetingType, attendee: AttendeeInput, *,
                   phone_only: bool) -> AttendeeInput:
    """The booker's identity rules: an email, or a phone for a phone-only booking on a
    meeting type that allows it; a name; the meeting type's required form answers."""
    attendee.phone = check_phone(attendee.phone)
    attendee.email = (attendee.email or "").strip().lower()
    if phone_only:
        if not meeting_type.allow_phone_only_booking:
            raise DomainError("Phone-only booking is not enabled for this meeting type",
                              field="phoneOnlyBooking")
        if not attendee.phone:
            raise DomainError("attendee.phone is required for a phone-only booking",
                              field="attendee.phone")
    elif not attendee.email:
        raise DomainError("attendee.email is required", field="attendee.email")
    if attendee.email:
        _check_email(attendee.email, "attendee.email")
    if not (attendee.first_name or attendee.last_name):
        raise DomainError("Either attendee.fullname or attendee.firstname is required",
                          field="attendee.firstname")
    check_form_answers(meeting_type, attendee.notes)
    return attendee


def _check_email(email: str, field_name: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid email address", field=field_name) from None


def check_emails(emails, *, field_name: str) -> list[str]:
    """Valid addresses, stripped and lower-cased, each once; DomainError naming
    ``<field_name>.<index>`` of the first invalid one."""
    cleaned = [str(email).strip().lower() for email in emails or ()]
    for index, email in enumerate(cleaned):
        _check_email(email, f"{field_name}.{index}")
    return list(dict.fromkeys(cleaned))


def check_bringalong(emails) -> list[str]:
    """The booking's bring-along guests: at most ``MAX_BRINGALONG`` valid addresses."""
    emails = list(emails or ())
    if len(emails) > MAX_BRINGALONG:
        raise DomainError(f"At most {MAX_BRINGALONG} bringalongEmails are allowed",
                          field="bringalongEmails")
    return check_emails(emails, field_name="bringalongEmails")


def check_form_answers(meeting_type: MeetingType, notes: dict) -> None:
    """Every required form field of the meeting type has an answer in ``notes``."""
    for form_field in meeting_type.form_fields or ():
        key = form_field.get("key")
        answer = notes.get(key)
        # Compared one by one: "in (None, '', [], False)" would take a 0 for no answer.
        if form_field.get("required") and (answer is None or answer is False
                                           or answer == "" or answer == []):
            label = form_field.get("label") or key
            raise DomainError(f"{label} is required", field=f"attendee.notes.{key}")


# --- where ---------------------------------------------------------------------------


def room_link(room_token: str) -> str:
    """The join page of an appointment's own room (channel ``connect``)."""
    return f"{settings.SITE_URL}/rooms/{room_token}"


def place(meeting_type: MeetingType, *, channel: str | None, location: str | None,
          attendee_phone: str, notes: dict, room_token: str) -> Placement:
    """The channel's rules (SPEC "Bookings"): ``local`` picks one of the meeting
    type's addresses, ``local-attendee`` needs the attendee's address, phone
    channels a phone, ``connect`` gets the appointment's own room and the other
    video channels the link configured on the meeting type's location."""
    channel = channel or selectors.offered_channels(meeting_type)[0]
    selectors.check_channel(meeting_type, channel)
    location = (location or "").strip()
    configured = [loc for loc in meeting_type.locations or () if loc.get("channel") == channel]
    if channel == Channel.CONNECT:
        link = room_link(room_token)
        return Placement(channel, link, link)
    if channel in LINK_CHANNELS:
        chosen = _configured(configured, location, channel, ("name", "link"))
        return Placement(channel, chosen["link"], chosen["link"])
    if channel == Channel.LOCAL:
        chosen = _configured(configured, location, channel, ("name", "address"))
        return Placement(channel, chosen["address"])
    if channel == Channel.LOCAL_ATTENDEE:
        address = location or str(notes.get("address") or "").strip()
        if not address:
            raise DomainError("An address is required for the local-attendee channel: send "
                              "location or attendee.notes.address", field="location")
        return Placement(channel, address)
    if channel == Channel.PHONE_INCOMING:
        chosen = _configured(configured, location, channel, ("name", "phone"))
        return Placement(channel, chosen["phone"])
    # phone (the host calls) and whatsapp reach the attendee on their number.
    if not attendee_phone:
        raise DomainError(f"attendee.phone is required for the {channel} channel",
                          field="attendee.phone")
    return Placement(channel, attendee_phone)


def _configured(locations: list[dict], wanted: str, channel: str, keys) -> dict:
    """The meeting type's location for ``channel`` named by ``wanted`` (its name or
    value), or the first one when nothing is asked."""
    if not locations:
        raise DomainError(f"This meeting type has no location for the channel {channel}",
                          field="channel")
    if not wanted:
        return locations[0]
    for loc in locations:
        if any(loc.get(key) == wanted for key in keys):
            return loc
    choices = ", ".join(str(loc.get("name") or loc.get(keys[1])) for loc in locations)
    raise DomainError(f"Choose one of the meeting type's locations for the {channel} channel: "
                      f"{choices}", field="location")


# --- who -----------------------------------------------------------------------------


def lock_hosts(users: QuerySet[User]) -> list[User]:
    """Hold ``users``' rows until the transaction ends, and return them (in primary-key
    order, the order they are locked in, so two transactions never wait on each other
    in a cycle). ``NO KEY UPDATE`` leaves inserts referencing the users (which take
    ``KEY SHARE``) unblocked. Call inside a transaction."""
    return list(users.order_by("pk").select_for_update(no_key=True, of=("self",)))


def hosts_locked(meeting_type: MeetingType) -> list[User]:
    """The meeting type's hosts, locked, in its order, each with their default
    schedule joined as the slots read them (pass them on as ``hosts``)."""
    users = selectors.meeting_type_hosts_query(meeting_type, with_default_schedule=True)
    return sorted(lock_hosts(users), key=attrgetter("position"))


def candidate_hosts(meeting_type: MeetingType, *, hosts: list[User], host_ids=None,
                    queue_id=None) -> list[User]:
    """Which of the meeting type's ``hosts`` may take the booking, in its order.

    Without ``hostIds`` or ``queueId`` the meeting type's own queue or single host
    applies; a meeting type with neither is the documented 400. ``hostIds`` narrows
    a one-on-one or round-robin meeting type; co-hosts always all attend.
    """
    selectors.check_queue(meeting_type, queue_id)
    if host_ids:
        return selectors.narrow_hosts(meeting_type, hosts, host_ids=host_ids)
    if not hosts or (not meeting_type.queue_id and len(hosts) != 1 and queue_id is None):
        raise DomainError(HOST_REQUIRED, field="hostIds")
    return hosts


def free_hosts(meeting_type: MeetingType, *, host_ids, start: dt.datetime, duration: int,
               now: dt.datetime, hosts: list[User] | None = None,
               attendee_email: str | None = None,
               exclude_appointment_id: int | None = None) -> list[int]:
    """Which of ``host_ids`` may take ``start`` under every slot rule, as the slots
    endpoint computes it (on committed data: call while holding the hosts' locks).
    Co-hosts are free only all together; a host at one of the limits is not free.
    Raises LimitReached when limits alone refuse every host, else SlotTaken when
    none is free. ``hosts``: as ``hosts_locked`` gives them, when already read;
    ``attendee_email`` and ``exclude_appointment_id`` as ``slot_query`` takes them.
    The hosts' CalDAV calendars are read again for the time first
    (``caldav.busy_recheck``)."""
    caldav.busy_recheck(
        host_ids=host_ids, company_id=meeting_type.company_id,
        start=start - dt.timedelta(minutes=meeting_type.buffer_before),
        end=start + dt.timedelta(minutes=duration + meeting_type.buffer_after), now=now)
    query = selectors.slot_query(meeting_type=meeting_type, start=start,
                                 end=start + dt.timedelta(seconds=1), duration=duration, now=now,
                                 hosts=hosts, attendee_email=attendee_email,
                                 exclude_appointment_id=exclude_appointment_id)
    found = [slot for slot in slots.compute_slots(**query.engine_kwargs())
             if slot.start == start] if query.hosts else []
    wanted = set(host_ids)
    free = [host for host in found[0].host_ids if host in wanted] if found else []
    if not free:
        raise _refusal(query, start, wanted)
    return free


def _refusal(query: selectors.SlotQuery, start: dt.datetime, wanted: set) -> SlotTaken:
    """LimitReached when each of the ``wanted`` hosts who refuse ``start`` does so for
    a limit (the first host's), else SlotTaken."""
    if not query.hosts:
        return SlotTaken()
    explained = slots.explain_slots(**query.engine_kwargs())
    refusal = next((r for r in explained.refused if r.start == start), None)
    reasons = [r for r in refusal.reasons if r.host_id in wanted] if refusal else []
    if reasons and all(r.reason == slots.LIMIT for r in reasons):
        return LimitReached(reasons[0].limit)
    return SlotTaken()


def lock_for_reschedule(appointment: Appointment) -> list[int]:
    """Lock the appointment's hosts and return their ids; when its meeting type limits
    an attendee's bookings, every host of the meeting type too, as a booking does, so
    bookings with the same email wait for each other. Call inside a transaction."""
    own = User.objects.filter(appointment_holds__appointment=appointment)
    users = own
    meeting_type = appointment.meeting_type
    if meeting_type is not None and any(limit.get("scope") == slots.ATTENDEE
                                        for limit in meeting_type.booking_limits):
        every = selectors.meeting_type_hosts_query(meeting_type).order_by().values("pk")
        users = User.objects.filter(Q(pk__in=own.values("pk")) | Q(pk__in=every))
    locked = lock_hosts(users)
    if users is own:
        return [user.pk for user in locked]
    mine = set(own.values_list("pk", flat=True))
    return [user.pk for user in locked if user.pk in mine]


def check_no_overlap(host_ids, start: dt.datetime, end: dt.datetime) -> None:
    """No host holds another appointment in ``[start, end)`` (the database's exclusion
    constraint refuses it too on PostgreSQL; this says so on every database).
    Call while holding the hosts' locks."""
    if AppointmentHost.objects.filter(host_id__in=host_ids, active=True, start__lt=end,
                                      end__gt=start).exists():
        raise SlotTaken()


def least_busy(host_ids: list[int], now: dt.datetime) -> int:
    """Round robin: the host with the fewest upcoming bookings (ties: queue order)."""
    if len(host_ids) == 1:
        return host_ids[0]
    counts = dict(
        AppointmentHost.objects.filter(host_id__in=host_ids, active=True, start__gte=now)
        .values("host_id").annotate(n=Count("pk")).values_list("host_id", "n")
    )
    return min(host_ids, key=lambda host: counts.get(host, 0))


# --- holds ---------------------------------------------------------------------------


def check_provisional_holds(*, host_ids, email: str, address: str, now: dt.datetime) -> None:
    """An anonymous booker may hold at most ``PUBLIC_HOLDS_PER_EMAIL`` provisional
    bookings of one host with their email and ``PUBLIC_HOLDS_PER_ADDRESS`` from their
    client address (``address``). Emails are counted in the database, addresses from
    the bookings ``publiclimits`` remembers for them. Call while holding the hosts'
    locks, so two bookings of one host cannot both pass. Raises HoldLimitReached."""
    per_email, per_address = settings.PUBLIC_HOLDS_PER_EMAIL, settings.PUBLIC_HOLDS_PER_ADDRESS
    for host_id in host_ids:
        held = Appointment.objects.filter(host_rows__host_id=host_id, hold_expires_at__gt=now,
                                          status__in=PENDING_STATUSES)
        if email and per_email > 0:
            mine = held.filter(attendees__is_primary=True, attendees__email=email)
            _refuse_at_limit(mine, per_email, now, HOLDS_PER_EMAIL.format(n=per_email),
                             field="attendee.email")
        if per_address > 0:
            remembered = publiclimits.address_holds(host_id=host_id, address=address,
                                                    now=now.timestamp())
            if len(remembered) >= per_address:
                _refuse_at_limit(held.filter(uuid__in=remembered), per_address, now,
                                 HOLDS_PER_ADDRESS, field=None)


def _refuse_at_limit(holds, limit: int, now: dt.datetime, message: str, *, field) -> None:
    expiries = list(holds.order_by("hold_expires_at")
                    .values_list("hold_expires_at", flat=True)[:limit])
    if len(expiries) >= limit:
        wait = math.ceil((expiries[0] - now).total_seconds())
        raise HoldLimitReached(message, field=field, retry_after=max(1, wait))


def insert_holds(appointment: Appointment, host_ids) -> list[AppointmentHost]:
    """The hosts' holds on the appointment's time; an overlap is SlotTaken."""
    rows = [AppointmentHost(appointment=appointment, host_id=host, start=appointment.start,
                            end=appointment.end, active=True) for host in host_ids]
    with refused_overlap():
        return AppointmentHost.objects.bulk_create(rows)


class refused_overlap:  # noqa: N801 - used as a context manager
    """Turns the exclusion constraint's refusal into SlotTaken."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, IntegrityError) and _is_overlap(exc):
            raise SlotTaken() from exc
        return False


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION or bool(
        _OVERLAP_CONSTRAINT.search(str(exc)))
