"""Reference slot engine: brute force, written to be obviously correct, not fast.

It follows the semantics in the docstring of ``scheduling.slots`` step by step:
walk every local date (two days of margin each side of the range), every
wall-clock candidate of every interval, and check every rule against every busy
interval and booked start linearly. Tests compare ``scheduling.slots`` with it,
and benchmarks compare both speed and output. Inputs are assumed valid.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling import slots as engine
from scheduling.slots import CO_HOST, ROUND_ROBIN, SINGLE, HostInput, Rules, Slot

__all__ = ["compute_slots", "explain_slots", "host_free_at", "host_slot_starts"]


def compute_slots(
    *,
    hosts: Sequence[HostInput],
    rules: Rules,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    mode: str = SINGLE,
    attendee_bookings: Sequence = (),
) -> list[Slot]:
    """Same contract as ``scheduling.slots.compute_slots``."""
    for value in (range_start, range_end, now):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
    if mode not in (SINGLE, ROUND_ROBIN, CO_HOST):
        raise ValueError("unknown mode")
    if not hosts:
        return []
    if mode == SINGLE and len(hosts) != 1:
        raise ValueError("single mode needs exactly one host")
    if range_end <= range_start:
        return []
    free = [host_slot_starts(host, rules, range_start, range_end, now, attendee_bookings)
            for host in hosts]
    every_start = set()
    for starts in free:
        every_start |= starts
    slots = []
    for start in sorted(every_start):
        ids = tuple(
            host.host_id for host, starts in zip(hosts, free, strict=True) if start in starts
        )
        if mode == CO_HOST and len(ids) != len(hosts):
            continue
        slots.append(Slot(start, start + rules.duration, ids))
    return slots


def host_free_at(
    *,
    host: HostInput,
    rules: Rules,
    start: datetime,
    now: datetime,
    ignore_busy: tuple = (),
    attendee_bookings: Sequence = (),
) -> bool:
    """Same contract as ``scheduling.slots.host_free_at``."""
    ignored = [(b0.astimezone(UTC), b1.astimezone(UTC)) for b0, b1 in ignore_busy]

    def kept(intervals):
        return tuple((b0, b1) for b0, b1 in intervals
                     if (b0.astimezone(UTC), b1.astimezone(UTC)) not in ignored)

    trimmed = HostInput(host.host_id, host.schedule, kept(host.busy), host.bookings,
                        kept(host.appointments))
    start = start.astimezone(UTC)  # set membership below compares UTC datetimes
    two_days = timedelta(days=2)
    return start in host_slot_starts(trimmed, rules, start - two_days, start + two_days, now,
                                     attendee_bookings)


def host_slot_starts(
    host: HostInput, rules: Rules, range_start: datetime, range_end: datetime, now: datetime,
    attendee_bookings: Sequence = (),
) -> set[datetime]:
    """Every UTC start in ``[range_start, range_end)`` that is a slot of ``host``."""
    tz = ZoneInfo(host.schedule.timezone)
    day = range_start.astimezone(tz).date() - timedelta(days=2)
    last_day = range_end.astimezone(tz).date() + timedelta(days=2)
    starts = set()
    while day <= last_day:
        for start in candidate_starts(host, rules, tz, day):
            if range_start <= start < range_end and reason(
                    host, rules, tz, start, now, attendee_bookings) is None:
                starts.add(start)
        day += timedelta(days=1)
    return starts


def candidate_starts(host: HostInput, rules: Rules, tz: ZoneInfo, day: date,
                     intervals=None, duration=None) -> list[datetime]:
    """UTC starts of ``day``'s intervals (or of ``intervals``) that exist locally and fit
    in their interval (a meeting of ``duration``, by default the rules')."""
    schedule = host.schedule
    if intervals is None:
        if day in schedule.overrides:
            intervals = schedule.overrides[day]
        else:
            intervals = schedule.weekly.get(day.weekday(), ())
    duration = rules.duration if duration is None else duration
    step = rules.interval if rules.interval is not None else rules.duration
    found = []
    for start_time, end_time in intervals:
        if end_time == time(0, 0):
            end_wall = datetime.combine(day + timedelta(days=1), time(0, 0))
        else:
            end_wall = datetime.combine(day, end_time)
        end_instant = end_wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        wall = datetime.combine(day, start_time)
        while wall < end_wall:
            instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
            exists = instant.astimezone(tz).replace(tzinfo=None) == wall
            if exists and instant + duration <= end_instant:
                found.append(instant)
            wall = wall + step
    return found


def reason(host: HostInput, rules: Rules, tz: ZoneInfo, start: datetime, now: datetime,
           attendee_bookings: Sequence = ()):
    """The first rule that refuses ``start`` for ``host`` as ``(reason, limit)``, each
    checked directly; None when the host is free then."""
    if rules.policy is not None:
        return engine.POLICY, None
    local_day = start.astimezone(tz).date()
    if start not in candidate_starts(host, rules, tz, local_day):
        weekly = host.schedule.weekly.get(local_day.weekday(), ())
        if local_day in host.schedule.overrides and start in candidate_starts(
                host, rules, tz, local_day, weekly):
            return engine.OVERRIDE, None
        return engine.OUTSIDE_HOURS, None
    if start < now + rules.minimum_notice:
        return engine.NOTICE, None
    horizon = rules.max_days_in_advance
    if horizon is not None and start >= now + timedelta(days=horizon):
        return engine.HORIZON, None
    for limit in rules.limits:
        if over_limit(host, limit, rules, tz, local_day, attendee_bookings):
            return engine.LIMIT, limit
    end = start + rules.duration
    if overlaps(host.appointments, start, end):
        return engine.APPOINTMENT, None
    if overlaps(host.busy, start, end):
        return engine.BUSY_CALENDAR, None
    before, after = start - rules.buffer_before, end + rules.buffer_after
    if overlaps(host.appointments, before, after) or overlaps(host.busy, before, after):
        return engine.BUFFER, None
    return None


def overlaps(intervals, start: datetime, end: datetime) -> bool:
    return any(b0 < b1 and b0 < end and start < b1 for b0, b1 in intervals)


def same_period(a: date, b: date, period: str) -> bool:
    """Whether local dates ``a`` and ``b`` lie in one calendar ``period``."""
    if period == engine.DAY:
        return a == b
    if period == engine.WEEK:
        return a.isocalendar()[:2] == b.isocalendar()[:2]
    if period == engine.MONTH:
        return (a.year, a.month) == (b.year, b.month)
    return a.year == b.year


def over_limit(host, limit, rules, tz, local_day, attendee_bookings) -> bool:
    if limit.scope == engine.ATTENDEE:
        counted = attendee_bookings
    else:
        counted = [b for b in host.bookings if limit.scope == engine.HOST or b.same_type]
    minute = timedelta(minutes=1)
    used = sum((b.end - b.start) / minute if limit.minutes else 1 for b in counted
               if same_period(b.start.astimezone(tz).date(), local_day, limit.period))
    own = rules.duration / minute if limit.minutes else 1
    return used + own > limit.max


def explain_slots(*, hosts, rules, range_start, range_end, now, mode=SINGLE,
                  attendee_bookings=()) -> engine.Explained:
    """Same contract as ``scheduling.slots.explain_slots``, by brute force: every
    wall time of every local date on the step grids, then each rule in turn."""
    range_start, range_end = range_start.astimezone(UTC), range_end.astimezone(UTC)
    times = set()
    for host in hosts:
        tz = ZoneInfo(host.schedule.timezone)
        day = range_start.astimezone(tz).date() - timedelta(days=2)
        while day <= range_end.astimezone(tz).date() + timedelta(days=2):
            for intervals in (((time(0), time(0)),), host.schedule.weekly.get(day.weekday(), ()),
                              host.schedule.overrides.get(day, ())):
                times.update(t for t in candidate_starts(host, rules, tz, day, intervals,
                                                         timedelta(0))
                             if range_start <= t < range_end)
            day += timedelta(days=1)
    slots, refused = [], []
    for start in sorted(times):
        why = []
        for host in hosts:
            found = reason(host, rules, ZoneInfo(host.schedule.timezone), start, now,
                           attendee_bookings)
            if found is not None:
                why.append(engine.HostReason(host.host_id, *found))
        free = tuple(h.host_id for h in hosts if h.host_id not in {r.host_id for r in why})
        if free and (mode != CO_HOST or not why):
            slots.append(Slot(start, start + rules.duration, free))
        else:
            refused.append(engine.Refusal(start, start + rules.duration, tuple(why)))
    return engine.Explained(slots, refused)
