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

from scheduling.slots import CO_HOST, ROUND_ROBIN, SINGLE, HostInput, Rules, Slot

__all__ = ["compute_slots", "host_free_at", "host_slot_starts"]


def compute_slots(
    *,
    hosts: Sequence[HostInput],
    rules: Rules,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    mode: str = SINGLE,
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
    free = [host_slot_starts(host, rules, range_start, range_end, now) for host in hosts]
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
) -> bool:
    """Same contract as ``scheduling.slots.host_free_at``."""
    ignored = [(b0.astimezone(UTC), b1.astimezone(UTC)) for b0, b1 in ignore_busy]
    busy = tuple(
        (b0, b1) for b0, b1 in host.busy if (b0.astimezone(UTC), b1.astimezone(UTC)) not in ignored
    )
    trimmed = HostInput(host.host_id, host.schedule, busy, host.booked_starts)
    start = start.astimezone(UTC)  # set membership below compares UTC datetimes
    two_days = timedelta(days=2)
    return start in host_slot_starts(trimmed, rules, start - two_days, start + two_days, now)


def host_slot_starts(
    host: HostInput, rules: Rules, range_start: datetime, range_end: datetime, now: datetime
) -> set[datetime]:
    """Every UTC start in ``[range_start, range_end)`` that is a slot of ``host``."""
    tz = ZoneInfo(host.schedule.timezone)
    day = range_start.astimezone(tz).date() - timedelta(days=2)
    last_day = range_end.astimezone(tz).date() + timedelta(days=2)
    starts = set()
    while day <= last_day:
        for start in candidate_starts(host, rules, tz, day):
            if range_start <= start < range_end and is_allowed(host, rules, tz, start, now):
                starts.add(start)
        day += timedelta(days=1)
    return starts


def candidate_starts(host: HostInput, rules: Rules, tz: ZoneInfo, day: date) -> list[datetime]:
    """UTC starts of ``day``'s intervals that exist locally and fit in their interval."""
    schedule = host.schedule
    if day in schedule.overrides:
        intervals = schedule.overrides[day]
    else:
        intervals = schedule.weekly.get(day.weekday(), ())
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
            if exists and instant + rules.duration <= end_instant:
                found.append(instant)
            wall = wall + step
    return found


def is_allowed(host: HostInput, rules: Rules, tz: ZoneInfo, start: datetime, now: datetime) -> bool:
    """Notice, horizon, busy (with buffers) and daily limit, each checked directly."""
    if start < now + rules.minimum_notice:
        return False
    horizon = rules.max_days_in_advance
    if horizon is not None and start >= now + timedelta(days=horizon):
        return False
    blocked_from = start - rules.buffer_before
    blocked_until = start + rules.duration + rules.buffer_after
    for busy_start, busy_end in host.busy:
        if busy_start < busy_end and busy_start < blocked_until and blocked_from < busy_end:
            return False
    if rules.daily_limit is not None:
        local_day = start.astimezone(tz).date()
        same_day = [b for b in host.booked_starts if b.astimezone(tz).date() == local_day]
        if len(same_day) >= rules.daily_limit:
            return False
    return True
