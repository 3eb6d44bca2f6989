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
8. Daily limit. When ``daily_limit`` is set, a candidate is dropped if at least
   ``daily_limit`` of the host's ``booked_starts`` fall on the candidate's Z-local
   date.
9. Modes. ``SINGLE`` takes exactly one host (``ValueError`` otherwise).
   ``ROUND_ROBIN``: a start is a slot when ANY host is free then; ``host_ids`` are
   the free hosts. ``CO_HOST``: a start is a slot only when ALL hosts are free;
   ``host_ids`` are all hosts. Hosts are matched by exact start instant and
   ``host_ids`` keep input order.
10. Output is sorted by start with no duplicate starts; every datetime is in UTC
   (``tzinfo=datetime.UTC``). No hosts, or ``range_end <= range_start``, gives
   ``[]``. Naive datetimes anywhere, a non-positive duration or interval, a
   negative buffer or an unknown mode raise ``ValueError``.
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

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
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
class HostInput:
    """One host: schedule, busy intervals (aware, any order, may overlap) and the
    starts of this meeting type's active bookings (for the daily limit)."""

    host_id: object
    schedule: Schedule
    busy: tuple[BusyInterval, ...] = ()
    booked_starts: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Rules:
    """Meeting-type rules; ``interval=None`` steps by ``duration``."""

    duration: timedelta
    interval: timedelta | None = None
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    max_days_in_advance: int | None = None
    daily_limit: int | None = None


@dataclass(frozen=True)
class Slot:
    """A bookable slot: UTC start and end, and the hosts free for it (input order)."""

    start: datetime
    end: datetime
    host_ids: tuple


def compute_slots(
    *,
    hosts: Sequence[HostInput],
    rules: Rules,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    mode: str = SINGLE,
) -> list[Slot]:
    """All slots with ``range_start <= start < range_end``, sorted by start.

    Follows the module docstring exactly. Raises ValueError for naive datetimes,
    invalid rules, an unknown mode, or SINGLE with more than one host.
    """
    range_start = _utc(range_start, "range_start")
    range_end = _utc(range_end, "range_end")
    now = _utc(now, "now")
    _check_rules(rules)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    for host in hosts:
        _check_host(host)
    if not hosts:
        return []
    if mode == SINGLE and len(hosts) != 1:
        raise ValueError(f"mode {SINGLE!r} needs exactly one host, got {len(hosts)}")
    lo, hi = _window(rules, range_start, range_end, now)
    if lo >= hi:
        return []
    cache: dict = {}  # shared by hosts: round-robin teams usually share schedules
    free = [_free_starts(host, rules, lo, hi, cache) for host in hosts]
    return _combine(hosts, free, rules.duration, mode)


def host_free_at(
    *,
    host: HostInput,
    rules: Rules,
    start: datetime,
    now: datetime,
    ignore_busy: tuple = (),
) -> bool:
    """True iff ``start`` is exactly a slot start of ``host`` under ``rules``.

    Same rules as ``compute_slots`` for a single host, with no range restriction.
    Busy intervals equal to one in ``ignore_busy`` (same start and end instants)
    are dropped first, so a reschedule can ignore its own appointment. Note that
    ``booked_starts`` are not touched: drop the booking's own start there too if
    it should not count toward the daily limit.
    """
    start = _utc(start, "start")
    now = _utc(now, "now")
    _check_rules(rules)
    _check_host(host)
    for interval in ignore_busy:
        _utc(interval[0], "ignore_busy")
        _utc(interval[1], "ignore_busy")
    lo, hi = _window(rules, start, start + _TICK, now)
    if lo >= hi:
        return False
    return start in _free_starts(host, rules, lo, hi, {}, ignore_busy)


def _utc(value: datetime, name: str) -> datetime:
    """``value`` as a UTC datetime; ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def _check_rules(rules: Rules) -> None:
    """ValueError unless duration/interval are positive and buffers non-negative."""
    # A zero step would loop forever; negative buffers would make the busy
    # window empty or inverted, where "overlap" stops meaning anything.
    if rules.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if rules.interval is not None and rules.interval <= timedelta(0):
        raise ValueError("interval must be positive")
    if rules.buffer_before < timedelta(0) or rules.buffer_after < timedelta(0):
        raise ValueError("buffers must not be negative")


def _check_host(host: HostInput) -> None:
    """ValueError if any of the host's datetimes is naive."""
    # Checked up front (cheaply: this runs over every busy interval of every
    # host) so a naive value fails loudly even when the window turns out empty.
    if any(b0.tzinfo is None or b1.tzinfo is None for b0, b1 in host.busy):
        raise ValueError(f"busy intervals of host {host.host_id!r} must be timezone-aware")
    if any(booked.tzinfo is None for booked in host.booked_starts):
        raise ValueError(f"booked starts of host {host.host_id!r} must be timezone-aware")


def _window(
    rules: Rules, range_start: datetime, range_end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """``[lo, hi)``: the starts allowed by range, minimum notice and horizon."""
    lo = max(range_start, now + rules.minimum_notice)
    hi = range_end
    if rules.max_days_in_advance is not None:
        hi = min(hi, now + timedelta(days=rules.max_days_in_advance))
    return lo, hi


def _free_starts(
    host: HostInput,
    rules: Rules,
    lo: datetime,
    hi: datetime,
    cache: dict,
    ignore_busy: tuple = (),
) -> list[datetime]:
    """The host's slot starts within ``[lo, hi)``, ascending and distinct.

    ``cache`` maps (zone, day, intervals) to that day's candidates; it may be
    shared by calls that use the same ``rules``.
    """
    schedule = host.schedule
    tz = ZoneInfo(schedule.timezone)
    step = rules.interval if rules.interval is not None else rules.duration
    candidates: list[datetime] = []
    for day in _open_days(_days(lo, hi, tz), host.booked_starts, tz, rules.daily_limit):
        intervals = _intervals_on(schedule, day)
        key = (schedule.timezone, day, intervals)
        if key not in cache:
            cache[key] = _day_candidates(tz, day, intervals, step, rules.duration)
        candidates.extend(start for start in cache[key] if lo <= start < hi)
    busy = _merged_busy(host.busy, ignore_busy)
    free = _unblocked(candidates, busy, rules.buffer_before, rules.duration + rules.buffer_after)
    # Sorted already when intervals are sorted and disjoint; this keeps the
    # promise even when a caller's intervals overlap.
    return sorted(set(free))


def _open_days(
    days: list[date], booked_starts: tuple[datetime, ...], tz: ZoneInfo, limit: int | None
) -> list[date]:
    """The ``days`` on which fewer than ``limit`` bookings start (all if no limit).

    Every candidate of a day falls on that local day, so a full day is skipped whole.
    """
    if limit is None:
        return days
    per_day = Counter(booked.astimezone(tz).date() for booked in booked_starts)
    return [day for day in days if per_day[day] < limit]


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
