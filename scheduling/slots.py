"""Slot engine: which start times can be booked, as a pure function of plain values.

No Django, no ORM, no I/O: schedules, busy time and rules go in, ``Slot`` values
come out. Only the standard library (``zoneinfo``, ``datetime``, ``dataclasses``)
is used, so the module is easy to test, benchmark and reuse.

Semantics (``benchmarks/slot_engine_reference.py`` implements the same by brute
force, and the property tests hold the two equal):

1. Days. For a host whose schedule is in zone Z, every Z-local date from one day
   before the Z-date of the earliest instant of interest to one day after the
   Z-date of the latest is examined. A date's working intervals are
   ``schedule.overrides[date]`` when the date is a key there (an empty tuple is a
   day off), else ``schedule.weekly.get(date.weekday(), ())`` (0 = Monday).
2. Intervals are local wall-clock ``(start, end)`` pairs. An end of
   ``time(0, 0)`` means midnight at the END of the day: ``(time(9), time(0))`` is
   09:00-24:00 and ``(time(0), time(0))`` is the whole day. Any other
   ``end <= start`` raises ``ValueError``.
3. Candidates step through each interval in local wall-clock time:
   ``start, start + step, start + 2 * step, ...`` while the wall time is before
   the interval's wall end, with ``step = rules.interval or rules.duration``. A
   wall time that does not exist in Z (spring-forward gap) is skipped; an
   ambiguous one (fall-back) is taken once, at its first occurrence (fold=0). So a
   slot's local time always exists and no local time of a day is offered twice.
4. Fit. A slot ends at ``start + duration`` in absolute time and must end no later
   than the interval's end instant: the wall end read with fold=0 (PEP 495). For
   an ambiguous end that is its first occurrence. For an end inside a gap it is
   the instant with the pre-transition offset, i.e. the end as if the clocks had
   not jumped yet, so the absolute time from any start before the gap to the end
   equals the wall-clock difference (Europe/Berlin 2024-03-31: an interval ending
   at 02:30 ends at 03:30 CEST).
5. Busy. ``[start - buffer_before, end + buffer_after)`` must not intersect any
   busy interval ``[b0, b1)``. Both are half-open, so touching is fine. A busy
   interval with ``b1 <= b0`` is empty and occupies nothing.
6. Notice and horizon. ``start >= now + minimum_notice``; when
   ``max_days_in_advance`` is set, ``start < now + timedelta(days=max_days_in_advance)``
   (absolute 24-hour days, not calendar days).
7. Range. Only starts with ``range_start <= start < range_end`` are returned.
8. Limits. Each ``Limit(scope, period, max, minutes)`` of ``rules.limits`` counts
   bookings whose start falls in the same period as the candidate, periods being
   calendar days, weeks (Monday to Sunday), months and years of the host's zone
   Z: ``MEETING_TYPE`` the host's bookings marked ``same_type``, ``HOST`` all the
   host's bookings, ``ATTENDEE`` the ``attendee_bookings`` (any host). A booking
   weighs 1, or with ``minutes`` its length in minutes; the candidate weighs 1 or
   ``rules.duration`` in minutes. A candidate is dropped when, for some limit, the
   period's weight plus its own exceeds ``max``. Every candidate of a local date
   shares its periods, so a full period drops whole days.
9. Modes. ``SINGLE`` takes exactly one host (``ValueError`` otherwise).
   ``ROUND_ROBIN``: a start is a slot when ANY host is free then; ``host_ids`` are
   the free hosts. ``CO_HOST``: a start is a slot only when ALL hosts are free;
   ``host_ids`` are all hosts. Hosts are matched by exact start instant and
   ``host_ids`` keep input order.
10. Output is sorted by start with no duplicate starts; every datetime is in UTC
   (``tzinfo=datetime.UTC``). No hosts, or ``range_end <= range_start``, gives
   ``[]``. Naive datetimes anywhere, a non-positive duration or interval, a
   negative buffer or an unknown mode raise ``ValueError``.
11. Why not. ``explain_slots`` takes the same values and also names, for every
   refused candidate time of the range, the rule that refused it, per host. The
   candidate times of a host's local date are its step grid from local midnight
   and the step grids of its weekly and override intervals (wall times that exist,
   first occurrence), in ``[range_start, range_end)``; of several hosts, the union
   of theirs. A host's reason for a time is the first of these that holds:
   ``POLICY`` (``rules.policy`` names a policy that refuses every time),
   ``OVERRIDE`` (not a start of the date's override hours, but one of its weekly
   hours), ``OUTSIDE_HOURS`` (not a start of the date's hours), ``NOTICE``,
   ``HORIZON``, ``LIMIT`` (the first full limit, in ``rules.limits`` order),
   ``APPOINTMENT`` (the meeting overlaps one of ``appointments``),
   ``BUSY_CALENDAR`` (it overlaps ``busy``), ``BUFFER`` (only its buffers overlap
   either). A time no reason holds for is free; the slots are exactly the times a
   host (``CO_HOST``: every host) is free for, as ``compute_slots`` gives them, and
   every other candidate time is refused once, with the reasons of the hosts that
   refused it.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

SINGLE = "single"
ROUND_ROBIN = "round_robin"
CO_HOST = "co_host"
MODES = (SINGLE, ROUND_ROBIN, CO_HOST)

# What a limit counts: the host's bookings of this meeting type, all the host's
# bookings, or the attendee's bookings of this meeting type.
MEETING_TYPE = "meetingType"
HOST = "host"
ATTENDEE = "attendeeEmail"
SCOPES = (MEETING_TYPE, HOST, ATTENDEE)
DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
PERIODS = (DAY, WEEK, MONTH, YEAR)

# Why a candidate time is not a slot, in the order they are tried.
POLICY = "policy"
OVERRIDE = "override"
OUTSIDE_HOURS = "outsideHours"
NOTICE = "notice"
HORIZON = "horizon"
LIMIT = "limit"
APPOINTMENT = "appointment"
BUSY_CALENDAR = "busyCalendar"
BUFFER = "buffer"
REASONS = (POLICY, OVERRIDE, OUTSIDE_HOURS, NOTICE, HORIZON, LIMIT, APPOINTMENT,
           BUSY_CALENDAR, BUFFER)

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_WHOLE_DAY = ((_MIDNIGHT, _MIDNIGHT),)
_MINUTE = timedelta(minutes=1)
# datetime's resolution: [t, t + _TICK) contains exactly the instant t.
_TICK = timedelta(microseconds=1)

Interval = tuple[time, time]
BusyInterval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Schedule:
    """A host's weekly working hours in one IANA zone, with per-date overrides.

    ``weekly`` maps weekday (0 = Monday .. 6 = Sunday) to sorted, non-overlapping
    local ``(start, end)`` intervals; an end of ``time(0, 0)`` means 24:00.
    ``overrides`` maps a date to intervals replacing that date's weekday hours;
    an empty tuple is a day off.
    """

    timezone: str
    weekly: dict[int, tuple[Interval, ...]]
    overrides: dict[date, tuple[Interval, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Booking:
    """A booking counted by limits: its instants, and whether it is of the meeting
    type asked about (``MEETING_TYPE`` limits count only those)."""

    start: datetime
    end: datetime
    same_type: bool = True


@dataclass(frozen=True)
class HostInput:
    """One host: schedule, busy intervals (aware, any order, may overlap) of their
    calendars and time blocked by hand (``busy``) and of their appointments
    (``appointments``), and the bookings their limits count (``bookings``)."""

    host_id: object
    schedule: Schedule
    busy: tuple[BusyInterval, ...] = ()
    bookings: tuple[Booking, ...] = ()
    appointments: tuple[BusyInterval, ...] = ()


@dataclass(frozen=True)
class Limit:
    """At most ``max`` bookings (or, with ``minutes``, minutes booked) of ``scope``
    per ``period`` of the host's zone."""

    scope: str
    period: str
    max: int
    minutes: bool = False


@dataclass(frozen=True)
class Rules:
    """Meeting-type rules; ``interval=None`` steps by ``duration``. ``policy`` names
    a policy that refuses every time (no slots then)."""

    duration: timedelta
    interval: timedelta | None = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    max_days_in_advance: int | None = None
    limits: tuple[Limit, ...] = ()
    policy: str | None = None


@dataclass(frozen=True)
class Slot:
    """A bookable slot: UTC start and end, and the hosts free for it (input order)."""

    start: datetime
    end: datetime
    host_ids: tuple


@dataclass(frozen=True)
class HostReason:
    """Why one host is not free at a time; ``limit`` is the full limit for ``LIMIT``."""

    host_id: object
    reason: str
    limit: Limit | None = None


@dataclass(frozen=True)
class Refusal:
    """A candidate time that is not a slot, with the reason of each host that refused
    it (input order): every host, except for ``CO_HOST``, where free hosts are left out."""

    start: datetime
    end: datetime
    reasons: tuple[HostReason, ...]


@dataclass(frozen=True)
class Explained:
    """``explain_slots``' answer: the slots and every refused candidate time, each
    sorted by start."""

    slots: list[Slot]
    refused: list[Refusal]


def compute_slots(
    *,
    hosts: Sequence[HostInput],
    rules: Rules,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    mode: str = SINGLE,
    attendee_bookings: Sequence[Booking] = (),
) -> list[Slot]:
    """All slots with ``range_start <= start < range_end``, sorted by start.

    Follows the module docstring exactly; ``attendee_bookings`` are what
    ``ATTENDEE`` limits count. Raises ValueError for naive datetimes, invalid
    rules, an unknown mode, or SINGLE with more than one host.
    """
    range_start, range_end, now = _checked(hosts, rules, range_start, range_end, now, mode,
                                           attendee_bookings)
    if not hosts or rules.policy is not None:
        return []
    lo, hi = _window(rules, range_start, range_end, now)
    if lo >= hi:
        return []
    cache: dict = {}  # shared by hosts: round-robin teams usually share schedules
    free = [_free_starts(host, rules, lo, hi, cache, attendee_bookings) for host in hosts]
    return _combine(hosts, free, rules.duration, mode)


def explain_slots(
    *,
    hosts: Sequence[HostInput],
    rules: Rules,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    mode: str = SINGLE,
    attendee_bookings: Sequence[Booking] = (),
) -> Explained:
    """The slots of ``compute_slots`` and, for every other candidate time of the range,
    why it is refused (module docstring, 11). Same arguments and errors."""
    range_start, range_end, now = _checked(hosts, rules, range_start, range_end, now, mode,
                                           attendee_bookings)
    slots: list[Slot] = []
    refused: list[Refusal] = []
    if not hosts or range_end <= range_start:
        return Explained(slots, refused)
    judges = [_Judge(host, rules, now, attendee_bookings) for host in hosts]
    times = set().union(*(judge.candidates(range_start, range_end) for judge in judges))
    every_id = tuple(host.host_id for host in hosts)
    for start in sorted(times):
        reasons = [judge.reason(start) for judge in judges]
        free = tuple(host.host_id for host, why in zip(hosts, reasons, strict=True) if why is None)
        if free and (mode != CO_HOST or len(free) == len(hosts)):
            slots.append(Slot(start, start + rules.duration, every_id if mode == CO_HOST else free))
        else:
            refused.append(Refusal(start, start + rules.duration,
                                   tuple(why for why in reasons if why is not None)))
    return Explained(slots, refused)


def host_free_at(
    *,
    host: HostInput,
    rules: Rules,
    start: datetime,
    now: datetime,
    ignore_busy: tuple = (),
    attendee_bookings: Sequence[Booking] = (),
) -> bool:
    """True iff ``start`` is exactly a slot start of ``host`` under ``rules``.

    Same rules as ``compute_slots`` for a single host, with no range restriction.
    Busy intervals and appointments equal to one in ``ignore_busy`` (same start and
    end instants) are dropped first, so a reschedule can ignore its own appointment.
    Note that ``bookings`` are not touched: drop the booking's own there too if it
    should not count toward the limits.
    """
    start = _utc(start, "start")
    now = _utc(now, "now")
    _check_rules(rules)
    _check_host(host)
    _check_bookings(attendee_bookings, "attendee bookings")
    for interval in ignore_busy:
        _utc(interval[0], "ignore_busy")
        _utc(interval[1], "ignore_busy")
    lo, hi = _window(rules, start, start + _TICK, now)
    if lo >= hi or rules.policy is not None:
        return False
    return start in _free_starts(host, rules, lo, hi, {}, attendee_bookings, ignore_busy)


def _checked(hosts, rules, range_start, range_end, now, mode, attendee_bookings):
    """The range and ``now`` in UTC, once every input is checked (ValueError)."""
    range_start = _utc(range_start, "range_start")
    range_end = _utc(range_end, "range_end")
    now = _utc(now, "now")
    _check_rules(rules)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    for host in hosts:
        _check_host(host)
    _check_bookings(attendee_bookings, "attendee bookings")
    if mode == SINGLE and len(hosts) > 1:
        raise ValueError(f"mode {SINGLE!r} needs exactly one host, got {len(hosts)}")
    return range_start, range_end, now


def _utc(value: datetime, name: str) -> datetime:
    """``value`` as a UTC datetime; ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def _check_rules(rules: Rules) -> None:
    """ValueError unless duration/interval are positive, buffers non-negative and
    every limit known."""
    # A zero step would loop forever; negative buffers would make the busy
    # window empty or inverted, where "overlap" stops meaning anything.
    if rules.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if rules.interval is not None and rules.interval <= timedelta(0):
        raise ValueError("interval must be positive")
    if rules.buffer_before < timedelta(0) or rules.buffer_after < timedelta(0):
        raise ValueError("buffers must not be negative")
    for limit in rules.limits:
        if limit.scope not in SCOPES or limit.period not in PERIODS or limit.max < 0:
            raise ValueError(f"invalid limit {limit!r}")


def _check_host(host: HostInput) -> None:
    """ValueError if any of the host's datetimes is naive."""
    # Checked up front (cheaply: this runs over every busy interval of every
    # host) so a naive value fails loudly even when the window turns out empty.
    for intervals in (host.busy, host.appointments):
        if any(b0.tzinfo is None or b1.tzinfo is None for b0, b1 in intervals):
            raise ValueError(f"busy intervals of host {host.host_id!r} must be timezone-aware")
    _check_bookings(host.bookings, f"bookings of host {host.host_id!r}")


def _check_bookings(bookings: Sequence[Booking], name: str) -> None:
    if any(b.start.tzinfo is None or b.end.tzinfo is None for b in bookings):
        raise ValueError(f"{name} must be timezone-aware")


def _window(
    rules: Rules, range_start: datetime, range_end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """``[lo, hi)``: the starts allowed by range, minimum notice and horizon."""
    lo = max(range_start, now + rules.minimum_notice)
    hi = range_end
    if rules.max_days_in_advance is not None:
        hi = min(hi, now + timedelta(days=rules.max_days_in_advance))
    return lo, hi


def _step(rules: Rules) -> timedelta:
    return rules.interval if rules.interval is not None else rules.duration


def _free_starts(
    host: HostInput,
    rules: Rules,
    lo: datetime,
    hi: datetime,
    cache: dict,
    attendee: Sequence[Booking] = (),
    ignore_busy: tuple = (),
) -> list[datetime]:
    """The host's slot starts within ``[lo, hi)``, ascending and distinct.

    ``cache`` maps (zone, day, intervals) to that day's candidates; it may be
    shared by calls that use the same ``rules``.
    """
    schedule = host.schedule
    tz = ZoneInfo(schedule.timezone)
    step = _step(rules)
    usage = _Usage(host, rules, tz, attendee)
    candidates: list[datetime] = []
    for day in _days(lo, hi, tz):
        if usage.full(day) is not None:
            continue  # every candidate of a day falls in that day's periods
        intervals = _intervals_on(schedule, day)
        key = (schedule.timezone, day, intervals)
        if key not in cache:
            cache[key] = _day_candidates(tz, day, intervals, step, rules.duration)
        candidates.extend(start for start in cache[key] if lo <= start < hi)
    busy = _merged_busy(host.busy + host.appointments if host.appointments else host.busy,
                        ignore_busy)
    free = _unblocked(candidates, busy, rules.buffer_before, rules.duration + rules.buffer_after)
    # Sorted already when intervals are sorted and disjoint; this keeps the
    # promise even when a caller's intervals overlap.
    return sorted(set(free))


def _period(day: date, period: str) -> object:
    """The key of the calendar period of ``period`` kind that holds local ``day``."""
    if period == DAY:
        return day
    if period == WEEK:
        return day - timedelta(days=day.weekday())
    if period == MONTH:
        return day.year, day.month
    return day.year


class _Usage:
    """How much of each of ``rules.limits`` a host has used, per period of their zone."""

    def __init__(self, host: HostInput, rules: Rules, tz: ZoneInfo, attendee: Sequence[Booking]):
        self.checks = []
        for limit in rules.limits:
            if limit.scope == ATTENDEE:
                counted = attendee
            elif limit.scope == HOST:
                counted = host.bookings
            else:
                counted = [booking for booking in host.bookings if booking.same_type]
            used: Counter = Counter()
            for booking in counted:
                weight = (booking.end - booking.start) / _MINUTE if limit.minutes else 1
                used[_period(booking.start.astimezone(tz).date(), limit.period)] += weight
            own = rules.duration / _MINUTE if limit.minutes else 1
            self.checks.append((limit, used, own))

    def full(self, day: date) -> Limit | None:
        """The first limit a booking on local ``day`` would exceed, if any."""
        for limit, used, own in self.checks:
            if used[_period(day, limit.period)] + own > limit.max:
                return limit
        return None


class _Judge:
    """One host's reason against any instant (module docstring, 11)."""

    def __init__(self, host: HostInput, rules: Rules, now: datetime,
                 attendee: Sequence[Booking]):
        self.host, self.rules = host, rules
        self.tz = ZoneInfo(host.schedule.timezone)
        self.usage = _Usage(host, rules, self.tz, attendee)
        self.earliest = now + rules.minimum_notice
        days = rules.max_days_in_advance
        self.horizon = None if days is None else now + timedelta(days=days)
        self.appointments = _merged_busy(host.appointments)
        self.busy = _merged_busy(host.busy)
        self.hours: dict = {}

    def candidates(self, lo: datetime, hi: datetime) -> set[datetime]:
        """The host's candidate times in ``[lo, hi)``: each local date's step grid from
        midnight and from the starts of its weekly and override intervals."""
        schedule, step, found = self.host.schedule, _step(self.rules), set()
        for day in _days(lo, hi, self.tz):
            for intervals in (_WHOLE_DAY, schedule.weekly.get(day.weekday(), ()),
                              schedule.overrides.get(day, ())):
                found.update(start for start in
                             _day_candidates(self.tz, day, intervals, step, timedelta(0))
                             if lo <= start < hi)
        return found

    def reason(self, start: datetime) -> HostReason | None:
        """Why the host is not free at ``start``; None when they are."""
        why, limit = self._why(start)
        return None if why is None else HostReason(self.host.host_id, why, limit)

    def _why(self, start: datetime) -> tuple[str | None, Limit | None]:
        rules, schedule = self.rules, self.host.schedule
        if rules.policy is not None:
            return POLICY, None
        day = start.astimezone(self.tz).date()
        if start not in self._starts(day, _intervals_on(schedule, day)):
            weekly = schedule.weekly.get(day.weekday(), ())
            overridden = day in schedule.overrides and start in self._starts(day, weekly)
            return (OVERRIDE if overridden else OUTSIDE_HOURS), None
        if start < self.earliest:
            return NOTICE, None
        if self.horizon is not None and start >= self.horizon:
            return HORIZON, None
        limit = self.usage.full(day)
        if limit is not None:
            return LIMIT, limit
        end = start + rules.duration
        if _meets(self.appointments, start, end):
            return APPOINTMENT, None
        if _meets(self.busy, start, end):
            return BUSY_CALENDAR, None
        before, after = start - rules.buffer_before, end + rules.buffer_after
        if _meets(self.appointments, before, after) or _meets(self.busy, before, after):
            return BUFFER, None
        return None, None

    def _starts(self, day: date, intervals: tuple[Interval, ...]) -> set[datetime]:
        """The slot starts ``intervals`` give on local ``day`` (before any other rule)."""
        key = (day, intervals)
        if key not in self.hours:
            self.hours[key] = set(_day_candidates(self.tz, day, intervals, _step(self.rules),
                                                  self.rules.duration))
        return self.hours[key]


def _meets(busy: tuple[list[datetime], list[datetime]], start: datetime, end: datetime) -> bool:
    """Whether ``[start, end)`` meets one of the merged ``busy`` intervals."""
    busy_starts, busy_ends = busy
    i = bisect_right(busy_ends, start)
    return i < len(busy_starts) and busy_starts[i] < end


def _unblocked(
    starts: list[datetime],
    busy: tuple[list[datetime], list[datetime]],
    before: timedelta,
    after: timedelta,
) -> list[datetime]:
    """The ``starts`` whose window ``[start - before, start + after)`` misses every
    merged busy interval."""
    busy_starts, busy_ends = busy
    n_busy = len(busy_starts)
    free = []
    for start in starts:
        # Busy intervals are disjoint and sorted, so the first one ending after the
        # window opens is the only one that can meet it: O(log n) per start.
        i = bisect_right(busy_ends, start - before)
        if i == n_busy or busy_starts[i] >= start + after:
            free.append(start)
    return free


def _days(lo: datetime, hi: datetime, tz: ZoneInfo) -> list[date]:
    """Local dates that can hold a start in ``[lo, hi)``, with a day's margin each side."""
    day = lo.astimezone(tz).date() - _ONE_DAY
    last = hi.astimezone(tz).date() + _ONE_DAY
    days = []
    while day <= last:
        days.append(day)
        day += _ONE_DAY
    return days


def _intervals_on(schedule: Schedule, day: date) -> tuple[Interval, ...]:
    """The working intervals of ``day``: its override if any, else its weekday's."""
    if day in schedule.overrides:
        return schedule.overrides[day]
    return schedule.weekly.get(day.weekday(), ())


def _day_candidates(
    tz: ZoneInfo,
    day: date,
    intervals: tuple[Interval, ...],
    step: timedelta,
    duration: timedelta,
) -> list[datetime]:
    """UTC starts on local ``day`` that exist, lie on an interval's wall-clock
    step grid and end (absolute ``start + duration``) by the interval's end.

    Wall times are handled as offsets ``t`` from local midnight; the fold=0 offset
    ``tz.utcoffset(wall)`` turns one into an instant, and the wall time exists iff
    that instant reads back as the same wall time. This does what
    ``wall.replace(tzinfo=tz).astimezone(UTC)`` plus a round trip would, about ten
    times faster (``replace``/``astimezone`` cost ~1 us each; this is the hot path).
    """
    midnight = datetime.combine(day, _MIDNIGHT)  # naive local wall time
    midnight_local = datetime.combine(day, _MIDNIGHT, tz)  # same fields, aware in tz
    midnight_utc = datetime.combine(day, _MIDNIGHT, UTC)  # same fields, read as UTC
    out = []
    for start_time, end_time in intervals:
        since, until = _since_midnight(start_time, end_time)
        end_instant = midnight_utc + until - tz.utcoffset(midnight + until)  # fold=0
        t = since
        while t < until:
            # instant = midnight_utc + shift; the same shift applied to local midnight
            # gives the instant's UTC fields labelled tz, which is what fromutc() wants.
            shift = t - tz.utcoffset(midnight + t)
            exists = tz.fromutc(midnight_local + shift) - midnight_local == t
            if exists and midnight_utc + shift + duration <= end_instant:
                out.append(midnight_utc + shift)
            t += step
    return out


def _since_midnight(start: time, end: time) -> tuple[timedelta, timedelta]:
    """An interval's start and end as time since local midnight; an end of
    ``time(0, 0)`` is the next midnight (24 h)."""
    since = _as_timedelta(start)
    if end == _MIDNIGHT:
        return since, _ONE_DAY
    if end <= start:
        raise ValueError(f"interval end {end} is not after its start {start}")
    return since, _as_timedelta(end)


def _as_timedelta(value: time) -> timedelta:
    """Time of day as time since midnight."""
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _merged_busy(
    busy: tuple[BusyInterval, ...], ignore: tuple = ()
) -> tuple[list[datetime], list[datetime]]:
    """Disjoint, sorted union of the non-empty busy intervals (minus exact matches of
    ``ignore``), as parallel lists of starts and ends in UTC."""
    if ignore:
        # Matched in UTC: aware datetimes of different zones never compare equal
        # when one of them is an ambiguous local time (PEP 495).
        ignored = {(_as_utc(b0), _as_utc(b1)) for b0, b1 in ignore}
        busy = tuple(b for b in busy if (_as_utc(b[0]), _as_utc(b[1])) not in ignored)
    starts: list[datetime] = []
    ends: list[datetime] = []
    for b0, b1 in sorted(busy, key=itemgetter(0)):  # by start is enough, and twice as fast
        if b1 <= b0:
            continue  # empty: occupies nothing
        if ends and b0 <= ends[-1]:
            # Touching intervals merge too: [a, b) and [b, c) cover exactly [a, c).
            if b1 > ends[-1]:
                ends[-1] = _as_utc(b1)
        else:
            # One tzinfo everywhere keeps the comparisons in bisect cheap.
            starts.append(_as_utc(b0))
            ends.append(_as_utc(b1))
    return starts, ends


def _as_utc(value: datetime) -> datetime:
    """Aware ``value`` with ``tzinfo=UTC`` (returned as is when it already is)."""
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _combine(
    hosts: Sequence[HostInput], free: list[list[datetime]], duration: timedelta, mode: str
) -> list[Slot]:
    """Merge per-host free starts into slots: any host for ROUND_ROBIN (and SINGLE),
    all hosts for CO_HOST."""
    if mode == CO_HOST:
        common = set(free[0]).intersection(*free[1:])
        ids = tuple(host.host_id for host in hosts)
        return [Slot(start, start + duration, ids) for start in sorted(common)]
    free_hosts: dict[datetime, list[object]] = {}
    for host, starts in zip(hosts, free, strict=True):
        for start in starts:
            free_hosts.setdefault(start, []).append(host.host_id)
    return [Slot(start, start + duration, tuple(free_hosts[start])) for start in sorted(free_hosts)]
