"""Reads of the scheduling app: which slots a meeting type has free, and what
occupies its hosts.

Slots are loaded with a fixed number of queries whatever the number of hosts:
the meeting type, its hosts, their schedules, the schedules' overrides in range,
then one query per kind of busy time. The slot engine (``slots.py``) does the
rest on plain values.
"""

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import (
    BigIntegerField,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Ceil, Extract, Floor
from django.utils import timezone as djtz

from . import slots as engine
from .choices import Channel, QueueKind
from .core.errors import DomainError, NotFound
from .core.timeutils import add_months, canonical_timezone, get_zone
from .models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentHost,
    Attendee,
    AvailabilitySchedule,
    BusyTime,
    MeetingType,
    ScheduleOverride,
    User,
)
from .services import caldav
from .services.limits import engine_limits
from .services.schedules import WEEKDAYS

# The longest range one request may ask slots for ("about three months").
MAX_RANGE_DAYS = 93
DURATION_NOT_ALLOWED = "Duration must match one of the allowed durations for this meeting type"
# Hours of a host who has no schedule yet, in their own zone (what Calendly and
# Cal.com give a new user), so a freshly created user can be booked at once.
FALLBACK_WEEKLY = {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS[:5]}

BusyMap = dict[int, list[tuple[dt.datetime, dt.datetime]]]


@dataclass(frozen=True)
class SlotResult:
    slots: list[engine.Slot]
    timezone: str  # the zone the range was read in and slots are shown in
    duration: int  # minutes
    # With ``explained_slots``: every refused candidate time, and the hosts by pk.
    refused: list[engine.Refusal] | None = None
    hosts: dict = field(default_factory=dict)


# --- meeting types ---------------------------------------------------------------


def meeting_type_get(*, company, meeting_type_id) -> MeetingType:
    """The company's meeting type with this uuid (queue and schedule joined), or NotFound."""
    found = (
        MeetingType.objects.select_related("queue", "schedule")
        .filter(company=company, uuid=meeting_type_id).first()
        if meeting_type_id else None
    )
    if found is None:
        raise NotFound("Meeting type not found")
    return found


def meeting_type_hosts_query(meeting_type: MeetingType, *, with_default_schedule: bool = False
                             ) -> QuerySet[User]:
    """The users who may host it, in the meeting type's order (``position``): the
    queue's members or the one-on-one hosts. ``with_default_schedule`` joins each
    host's default schedule in the meeting type's company, as
    ``host.default_schedule`` (missing when there is none)."""
    if meeting_type.queue_id:
        users = User.objects.filter(queue_memberships__queue_id=meeting_type.queue_id)
        users = users.annotate(position=F("queue_memberships__pk"))
    else:
        users = User.objects.filter(hosted_meeting_types=meeting_type).annotate(position=F("pk"))
    if with_default_schedule:
        users = users.annotate(default_schedule=FilteredRelation(
            "schedules", condition=Q(schedules__is_default=True,
                                     schedules__company_id=meeting_type.company_id),
        )).select_related("default_schedule")
    return users.order_by("position")


def meeting_type_hosts(meeting_type: MeetingType, *, with_default_schedule: bool = False
                       ) -> list[User]:
    """``meeting_type_hosts_query`` read (one query)."""
    return list(meeting_type_hosts_query(meeting_type,
                                         with_default_schedule=with_default_schedule))


def meeting_types_hosted_by(user: User | uuid.UUID) -> QuerySet:
    """The meeting types ``user`` (a user or a user's uuid) hosts, in any company: as
    one of its one-on-one hosts or a member of its queue. Owning one is managing it,
    not hosting it (``meeting_types_of``); the user's page lists these, and the
    API's ``hostId`` filter finds them."""
    by = "" if isinstance(user, User) else "__uuid"
    return MeetingType.objects.filter(
        Q(**{f"hosts{by}": user}) | Q(**{f"queue__members{by}": user})).distinct()


def meeting_types_of(user: User) -> QuerySet:
    """The meeting types ``user`` hosts or owns: what their own addresses reach (a
    ``bookingUrl`` is ``/<owner slug>/<slug>``) and what the API lists for a user
    named in ``x-meetergo-api-user-id``."""
    return MeetingType.objects.filter(
        Q(pk__in=meeting_types_hosted_by(user).values("pk")) | Q(owner=user))


def hours_zone(meeting_type: MeetingType, hosts: list[User] | None = None) -> str:
    """The zone ``meeting_type``'s hours are kept in, which its times are shown in when
    the viewer names none: its own schedule's, else its first host's default
    schedule's, else that host's own zone, else its company's. ``hosts`` as
    ``meeting_type_hosts(..., with_default_schedule=True)`` gives them (read when None)."""
    if meeting_type.schedule_id:
        return meeting_type.schedule.timezone
    if hosts is None:
        hosts = meeting_type_hosts(meeting_type, with_default_schedule=True)
    if not hosts:
        return meeting_type.company.timezone
    schedule = getattr(hosts[0], "default_schedule", None)
    return schedule.timezone if schedule else hosts[0].timezone


def attendee_zone(appointment: Appointment, attendee: Attendee | None = None) -> str:
    """The zone ``appointment`` is shown to ``attendee`` in (pages and emails alike):
    theirs, else the booker's, else the zone of the meeting type's hours, else the
    first host's, else the company's (each only when it is a known zone)."""
    attendees = list(appointment.attendees.all())
    booker = next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)
    own = [person.timezone for person in (attendee, booker) if person is not None]
    zone = first_known_zone(*own)
    if zone:
        return zone
    if appointment.meeting_type_id is not None:
        return first_known_zone(hours_zone(appointment.meeting_type)) or "UTC"
    hosts = list(appointment.hosts.all())
    return first_known_zone(*(host.timezone for host in hosts[:1]),
                            appointment.company.timezone) or "UTC"


def host_zone(host: User | None) -> str:
    """The zone times are shown to a host in: their own, else UTC."""
    return first_known_zone(host.timezone if host else "") or "UTC"


def first_known_zone(*names: str) -> str | None:
    """The first of ``names`` that is a known IANA zone (canonical), or None."""
    return next((zone for zone in map(canonical_timezone, filter(None, names)) if zone), None)


def offered_channels(meeting_type: MeetingType) -> list[str]:
    """The channels a booking of ``meeting_type`` may take (``connect`` when none is set)."""
    return meeting_type.channels or [Channel.CONNECT.value]


def check_channel(meeting_type: MeetingType, channel: str | None) -> None:
    """DomainError on ``channel`` unless ``meeting_type`` offers it (none asked: fine)."""
    if channel is not None and channel not in offered_channels(meeting_type):
        raise DomainError(f"This meeting type does not offer the channel {channel}",
                          field="channel")


def check_duration(meeting_type: MeetingType, duration: int | None) -> int:
    """The booked length in minutes: ``duration`` when ``meeting_type`` allows it, its
    default when none is asked; DomainError on ``duration`` otherwise."""
    if duration is None:
        return meeting_type.default_duration
    if duration not in meeting_type.durations:
        raise DomainError(DURATION_NOT_ALLOWED, field="duration")
    return duration


def check_queue(meeting_type: MeetingType, queue_id) -> None:
    """DomainError on ``queueId`` unless it names ``meeting_type``'s own queue."""
    if queue_id is not None and (not meeting_type.queue_id
                                 or str(meeting_type.queue.uuid) != str(queue_id)):
        raise DomainError("queueId is not this meeting type's queue", field="queueId")


# --- appointments ----------------------------------------------------------------


def appointments_for_payload(*, company=None) -> QuerySet[Appointment]:
    """Appointments with what their payload, pages and emails read (meeting type,
    company, hosts, attendees): three queries for any number of them. Of
    ``company`` only, when given."""
    rows = (Appointment.objects.select_related("meeting_type", "company")
            .prefetch_related("hosts", "attendees"))
    return rows if company is None else rows.filter(company=company)


def appointment_pk_get(*, company, appointment_id) -> int:
    """The primary key of the company's appointment with this uuid, or NotFound."""
    found = (Appointment.objects.filter(company=company, uuid=appointment_id)
             .values_list("pk", flat=True).first() if appointment_id else None)
    if found is None:
        raise NotFound("Appointment not found")
    return found


# --- busy time -------------------------------------------------------------------


def busy_intervals(host_ids, start: dt.datetime, end: dt.datetime, *, company_id: int,
                   exclude_appointment_id: int | None = None) -> tuple[BusyMap, BusyMap]:
    """Every interval that occupies one of ``host_ids`` and overlaps ``[start, end)``,
    as ``{host_id: [(start, end), ...]}`` in UTC, read in one query, by kind: busy
    time blocked by hand or read from calendars of ``company_id`` (``BusyTime``),
    then appointments of any company with provisional holds (the active
    ``AppointmentHost`` rows the exclusion constraint guards: a person is never in
    two meetings at once). ``exclude_appointment_id``: that appointment's holds do
    not count (a reschedule looking for a new time for it)."""
    busy: BusyMap = defaultdict(list)
    held: BusyMap = defaultdict(list)
    host_ids = list(host_ids)
    blocked = BusyTime.objects.filter(
        Q(company_id__isnull=True) | Q(company_id=company_id),
        user_id__in=host_ids, start__lt=end, end__gt=start)
    holds = AppointmentHost.objects.filter(host_id__in=host_ids, active=True,
                                           start__lt=end, end__gt=start)
    if exclude_appointment_id is not None:
        holds = holds.exclude(appointment_id=exclude_appointment_id)
    kinds = (busy, held)
    for kind, host_id, b0, b1 in interval_rows((blocked, "user_id"), (holds, "host_id")):
        kinds[kind][host_id].append((b0, b1))
    return dict(busy), dict(held)


def interval_rows(*sources: tuple[QuerySet, str]):
    """``(source index, key, start, end)`` rows of every ``(queryset, key field)`` in
    ``sources`` (each with ``start`` and ``end`` fields), as aware UTC datetimes, in
    one query.

    On PostgreSQL the instants travel as whole epoch seconds (start rounded down,
    end rounded up, so busy time never shrinks): parsing thousands of timestamps
    is otherwise the slowest step of a slots request.
    """
    if connection.vendor != "postgresql":
        return [(index, *row) for index, (queryset, key) in enumerate(sources)
                for row in queryset.values_list(key, "start", "end")]
    parts = [
        queryset.values_list(
            Value(index, IntegerField()), key,
            Cast(Floor(Extract("start", "epoch", tzinfo=dt.UTC)), BigIntegerField()),
            Cast(Ceil(Extract("end", "epoch", tzinfo=dt.UTC)), BigIntegerField()),
        ).order_by()
        for index, (queryset, key) in enumerate(sources)
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # The ORM's per-value converters would cost more than the query: run the SQL
    # it compiled and take the integers as the driver gives them.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    instant, utc = dt.datetime.fromtimestamp, dt.UTC
    return [(i, k, instant(b0, utc), instant(b1, utc)) for i, k, b0, b1 in fetched]


# --- limits ----------------------------------------------------------------------


def limit_span(limits, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Instants that hold every period of ``limits`` (engine limits) meeting
    ``[start, end)`` in any zone: local dates lie within a day of UTC dates, so the
    periods of the UTC dates a day wider, and a day more each side."""
    widest = max((engine.PERIODS.index(limit.period) for limit in limits), default=0)
    first, last = (start - dt.timedelta(days=1)).date(), (end + dt.timedelta(days=1)).date()
    if widest == 1:
        first -= dt.timedelta(days=first.weekday())
        last += dt.timedelta(days=6 - last.weekday())
    elif widest == 2:
        first, last = first.replace(day=1), add_months(last.replace(day=1), 1)
    elif widest == 3:
        first, last = first.replace(month=1, day=1), last.replace(month=12, day=31)
    margin = dt.timedelta(days=1)
    return (dt.datetime.combine(first, dt.time(0), dt.UTC) - margin,
            dt.datetime.combine(last, dt.time(0), dt.UTC) + 2 * margin)


def limit_bookings(meeting_type: MeetingType, limits, host_ids, start: dt.datetime,
                   end: dt.datetime, *, exclude_appointment_id: int | None = None
                   ) -> dict[int, list[engine.Booking]]:
    """The active bookings the hosts' ``limits`` (engine limits) count around ``[start,
    end)``: each host's holds, of any meeting type when a ``host`` limit counts them
    (marked ``same_type`` when of ``meeting_type``), leaving out
    ``exclude_appointment_id``'s (one query; none without such limits)."""
    scopes = {limit.scope for limit in limits} - {engine.ATTENDEE}
    if not scopes:
        return {}
    lo, hi = limit_span(limits, start, end)
    rows = AppointmentHost.objects.filter(host_id__in=list(host_ids), active=True,
                                          start__gte=lo, start__lt=hi)
    if engine.HOST not in scopes:
        rows = rows.filter(appointment__meeting_type=meeting_type)
    if exclude_appointment_id is not None:
        rows = rows.exclude(appointment_id=exclude_appointment_id)
    booked: dict[int, list[engine.Booking]] = defaultdict(list)
    for host_id, b0, b1, type_id in rows.values_list("host_id", "start", "end",
                                                     "appointment__meeting_type_id"):
        booked[host_id].append(engine.Booking(b0, b1, type_id == meeting_type.pk))
    return dict(booked)


def attendee_bookings(meeting_type: MeetingType, limits, email: str | None, start: dt.datetime,
                      end: dt.datetime, *, exclude_appointment_id: int | None = None
                      ) -> tuple[engine.Booking, ...]:
    """The active bookings of ``meeting_type`` made with ``email`` (any host) that its
    ``attendeeEmail`` limits count around ``[start, end)`` (one query; none without
    an email or such a limit)."""
    counted = [limit for limit in limits if limit.scope == engine.ATTENDEE]
    if not counted or not email:
        return ()
    lo, hi = limit_span(counted, start, end)
    rows = Appointment.objects.filter(
        meeting_type=meeting_type, status__in=ACTIVE_STATUSES, start__gte=lo, start__lt=hi,
        attendees__is_primary=True, attendees__email=email.strip().lower())
    if exclude_appointment_id is not None:
        rows = rows.exclude(pk=exclude_appointment_id)
    return tuple(engine.Booking(b0, b1) for b0, b1 in rows.values_list("start", "end"))


def booker_email(appointment_id: int | None) -> str | None:
    """The email the booker of ``appointment_id`` booked with, if any."""
    if appointment_id is None:
        return None
    return (Attendee.objects.filter(appointment_id=appointment_id, is_primary=True)
            .exclude(email="").values_list("email", flat=True).first())


# --- slots -----------------------------------------------------------------------


@dataclass(frozen=True)
class SlotQuery:
    """Everything the engine needs for one slots request, as plain values."""

    hosts: list[engine.HostInput]
    rules: engine.Rules
    range_start: dt.datetime
    range_end: dt.datetime
    now: dt.datetime
    mode: str
    timezone: str
    duration: int
    attendee_bookings: tuple[engine.Booking, ...] = ()
    users: dict = field(default_factory=dict)  # the hosts (User) by pk

    def engine_kwargs(self) -> dict:
        return {"hosts": self.hosts, "rules": self.rules, "range_start": self.range_start,
                "range_end": self.range_end, "now": self.now, "mode": self.mode,
                "attendee_bookings": self.attendee_bookings}


def available_slots(**kwargs) -> SlotResult:
    """The free slots of a meeting type in a range; arguments as ``slot_query``."""
    query = slot_query(**kwargs)
    slots = engine.compute_slots(**query.engine_kwargs()) if query.hosts else []
    return SlotResult(slots, query.timezone, query.duration)


def explained_slots(**kwargs) -> SlotResult:
    """``available_slots`` with, for every other candidate time of the range, the rule
    that refused it for each host, as the slot engine itself finds them
    (``slots.explain_slots``): the slots are the same, by construction."""
    query = slot_query(**kwargs)
    if not query.hosts:
        return SlotResult([], query.timezone, query.duration, [], {})
    explained = engine.explain_slots(**query.engine_kwargs())
    return SlotResult(explained.slots, query.timezone, query.duration, explained.refused,
                      query.users)


def slot_query(
    *,
    meeting_type: MeetingType,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    timezone: str | None = None,
    duration: int | None = None,
    host_id=None,
    host_ids=None,
    queue_id=None,
    everyone: bool = False,
    exclude_appointment_id: int | None = None,
    now: dt.datetime | None = None,
    hosts: list[User] | None = None,
    attendee_email: str | None = None,
    policy: str | None = None,
) -> SlotQuery:
    """Load what the engine needs for ``meeting_type``'s slots starting in the range.

    ``start``/``end`` are aware datetimes, or dates read in ``timezone`` (``end``
    inclusive). Without ``timezone`` the range is read, and slots shown, in the
    first host's schedule zone. ``host_id`` (a user uuid) and ``host_ids`` (user
    uuids; with ``host_id``, together) narrow a one-on-one or round-robin meeting
    type to those hosts; ``queue_id`` must name its own queue. ``everyone``: a slot
    is free only when every chosen host is (the engine's co-host mode), as it always
    is for co-hosts. ``exclude_appointment_id``: that appointment's holds are not busy
    and do not count toward the limits (a reschedule), and its booker's email is
    the attendee's unless ``attendee_email`` names one (what ``attendeeEmail``
    limits count). ``policy``: the name of a policy that refuses every time (an
    attendee's reschedule it forbids). Raises DomainError with the field at fault. A fixed number of
    queries, whatever the number of hosts. ``hosts``: the meeting type's hosts
    already loaded as ``meeting_type_hosts(..., with_default_schedule=True)`` gives
    them (a booking reads them while locking them).
    """
    now = now or djtz.now()
    minutes = check_duration(meeting_type, duration)
    check_queue(meeting_type, queue_id)
    if hosts is None:
        hosts = meeting_type_hosts(meeting_type, with_default_schedule=True)
    hosts = narrow_hosts(meeting_type, hosts, host_id=host_id, host_ids=host_ids)
    schedules = _schedules(meeting_type, hosts)
    zone = timezone or hours_zone(meeting_type, hosts)
    range_start, range_end = _range(start, end, zone)
    rules = rules_for(meeting_type, minutes)
    if policy is not None:
        rules = replace(rules, policy=policy)
    inputs, attendee = [], ()
    if hosts:
        inputs, attendee = _host_inputs(meeting_type, hosts, schedules, rules, range_start,
                                        range_end, exclude_appointment_id, attendee_email)
    return SlotQuery(inputs, rules, range_start, range_end, now,
                     _mode(meeting_type, len(inputs), everyone=everyone), zone, minutes,
                     attendee, {host.pk: host for host in hosts})


def _host_inputs(meeting_type, hosts, schedules, rules, range_start, range_end,
                 exclude_appointment_id, attendee_email):
    """The engine's ``HostInput`` of each host and the attendee's bookings."""
    margin = rules.buffer_before + rules.duration + rules.buffer_after
    overrides = _overrides(schedules.values(), range_start, range_end)
    host_ids = [host.pk for host in hosts]
    caldav.busy_refresh(host_ids=host_ids, company_id=meeting_type.company_id,
                        start=range_start - margin, end=range_end + margin)
    busy, held = busy_intervals(host_ids, range_start - margin, range_end + margin,
                                company_id=meeting_type.company_id,
                                exclude_appointment_id=exclude_appointment_id)
    booked = limit_bookings(meeting_type, rules.limits, host_ids, range_start, range_end,
                            exclude_appointment_id=exclude_appointment_id)
    if attendee_email is None and any(lim.scope == engine.ATTENDEE for lim in rules.limits):
        attendee_email = booker_email(exclude_appointment_id)
    attendee = attendee_bookings(meeting_type, rules.limits, attendee_email, range_start,
                                 range_end, exclude_appointment_id=exclude_appointment_id)
    inputs = [
        engine.HostInput(
            host_id=host.pk,
            schedule=_engine_schedule(host, schedules.get(host.pk), overrides),
            busy=tuple(busy.get(host.pk, ())),
            bookings=tuple(booked.get(host.pk, ())),
            appointments=tuple(held.get(host.pk, ())),
        )
        for host in hosts
    ]
    return inputs, attendee


def rules_for(meeting_type: MeetingType, duration: int) -> engine.Rules:
    """The engine's rules for one duration of ``meeting_type``."""
    minutes = dt.timedelta(minutes=1)
    return engine.Rules(
        duration=duration * minutes,
        interval=meeting_type.slot_interval * minutes if meeting_type.slot_interval else None,
        buffer_before=meeting_type.buffer_before * minutes,
        buffer_after=meeting_type.buffer_after * minutes,
        minimum_notice=meeting_type.minimum_notice * minutes,
        max_days_in_advance=meeting_type.max_days_in_advance,
        limits=engine_limits(meeting_type.booking_limits),
    )


def narrow_hosts(meeting_type: MeetingType, hosts: list[User], *, host_id=None, host_ids=None
                 ) -> list[User]:
    """The ``hosts`` named by ``host_id`` and ``host_ids`` (user uuids) together
    (neither: all); co-hosts always all. DomainError naming an unknown one."""
    if host_id is None and not host_ids:
        return hosts
    known = {str(host.uuid) for host in hosts}
    if host_id is not None and str(host_id) not in known:
        raise DomainError("This user does not host this meeting type", field="hostId")
    unknown = [str(uuid) for uuid in host_ids or () if str(uuid) not in known]
    if unknown:
        raise DomainError(f"Not a host of this meeting type: {', '.join(unknown)}",
                          field="hostIds")
    # Co-hosts meet together, so one of them is free only when all are.
    if meeting_type.kind == QueueKind.CO_HOST:
        return hosts
    wanted = {str(uuid) for uuid in host_ids or ()} | ({str(host_id)} if host_id else set())
    return [host for host in hosts if str(host.uuid) in wanted]


def _mode(meeting_type: MeetingType, host_count: int, *, everyone: bool = False) -> str:
    if meeting_type.kind == QueueKind.CO_HOST:
        return engine.CO_HOST
    if host_count == 1:
        return engine.SINGLE
    return engine.CO_HOST if everyone else engine.ROUND_ROBIN


def _schedules(meeting_type: MeetingType, hosts: list[User]) -> dict[int, AvailabilitySchedule]:
    """Each host's schedule for this meeting type: its own schedule when it has one,
    else the host's default (joined with the hosts)."""
    if meeting_type.schedule_id:
        return {host.pk: meeting_type.schedule for host in hosts}
    # A host without a default has no attribute at all (the join found nothing).
    defaults = {host.pk: getattr(host, "default_schedule", None) for host in hosts}
    return {pk: schedule for pk, schedule in defaults.items() if schedule is not None}


def _range(start, end, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC range ``[start, end)``: dates are read in ``zone``, ``end``
    inclusive."""
    tz = get_zone(zone)
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time(0), tz)
    if not isinstance(end, dt.datetime):
        end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tz)
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end <= start:
        raise DomainError("end must be after start", field="end")
    # Slack for a DST change inside a range of whole local days (at most 2 hours).
    if end - start > dt.timedelta(days=MAX_RANGE_DAYS, hours=2):
        raise DomainError(f"The range may span at most {MAX_RANGE_DAYS} days", field="end")
    return start, end


def _overrides(schedules, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    """``{schedule_id: {date: intervals}}`` for dates near the range (one query)."""
    ids = {schedule.pk for schedule in schedules}
    out: dict[int, dict] = defaultdict(dict)
    if not ids:
        return out
    # Local dates differ from UTC dates by at most a day each way.
    dates = Q(date__gte=start.date() - dt.timedelta(days=2),
              date__lte=end.date() + dt.timedelta(days=2))
    rows = ScheduleOverride.objects.filter(dates, schedule_id__in=ids)
    for schedule_id, day, intervals in rows.values_list("schedule_id", "date", "intervals"):
        out[schedule_id][day] = intervals
    return out


def _engine_schedule(host: User, schedule: AvailabilitySchedule | None,
                     overrides: dict[int, dict]) -> engine.Schedule:
    if schedule is None:
        return engine.Schedule(host.timezone, _weekly(FALLBACK_WEEKLY), {})
    return engine.Schedule(
        schedule.timezone,
        _weekly(schedule.weekly),
        {day: _intervals(items) for day, items in overrides.get(schedule.pk, {}).items()},
    )


def _weekly(weekly: dict) -> dict[int, tuple]:
    return {index: _intervals(weekly.get(day, ())) for index, day in enumerate(WEEKDAYS)}


def _intervals(items) -> tuple:
    return tuple((_time(item["start"]), _time(item["end"])) for item in items)


def _time(value: str) -> dt.time:
    """``HH:MM`` as a time; ``24:00`` is the engine's end-of-day midnight."""
    hours, minutes = value.split(":")
    return dt.time(int(hours) % 24, int(minutes))
