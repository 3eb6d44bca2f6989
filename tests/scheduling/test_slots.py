"""Tests for the pure slot engine (scheduling.slots); no Django involved.

Example tests pin the documented semantics, DST days included; property tests
hold the engine equal to the brute-force reference in
benchmarks/slot_engine_reference.py on random schedules, busy time and rules.
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import slot_engine_reference as reference
from scheduling.slots import (
    ATTENDEE,
    CO_HOST,
    DAY,
    HOST,
    MEETING_TYPE,
    MODES,
    MONTH,
    PERIODS,
    REASONS,
    ROUND_ROBIN,
    SCOPES,
    SINGLE,
    WEEK,
    YEAR,
    Booking,
    HostInput,
    HostReason,
    Limit,
    Refusal,
    Rules,
    Schedule,
    Slot,
    compute_slots,
    explain_slots,
    host_free_at,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
WEEKDAYS_9_TO_17 = {weekday: ((time(9), time(17)),) for weekday in range(5)}
MONDAY = date(2024, 1, 8)  # no DST transition anywhere near
HOUR = Rules(duration=timedelta(hours=1))
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


# --- helpers -----------------------------------------------------------------


def local(zone: str, day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    """The UTC instant of a local wall time (fold=1 for the second occurrence)."""
    wall = datetime.combine(day, time(hour, minute, fold=fold), ZoneInfo(zone))
    return wall.astimezone(UTC)


def make_host(
    zone: str = BERLIN,
    weekly=None,
    overrides=None,
    busy=(),
    booked=(),
    host_id: object = 1,
) -> HostInput:
    schedule = Schedule(
        timezone=zone,
        weekly=WEEKDAYS_9_TO_17 if weekly is None else weekly,
        overrides=overrides or {},
    )
    bookings = tuple(Booking(start, start + HOUR.duration) for start in booked)
    return HostInput(host_id=host_id, schedule=schedule, busy=tuple(busy), bookings=bookings)


def one_day_host(zone: str, day: date, *intervals, **kwargs) -> HostInput:
    """A host working only the given intervals on ``day``."""
    return make_host(zone, weekly={}, overrides={day: tuple(intervals)}, **kwargs)


def slots_on(host_or_hosts, day: date, rules: Rules = HOUR, now=LONG_AGO, mode=SINGLE, days=1):
    """Slots over the host's local ``day`` (and ``days - 1`` more), from ``now``."""
    hosts = host_or_hosts if isinstance(host_or_hosts, list) else [host_or_hosts]
    zone = ZoneInfo(hosts[0].schedule.timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=days), time(0), zone)
    return compute_slots(
        hosts=hosts, rules=rules, range_start=start, range_end=end, now=now, mode=mode
    )


def wall_times(slots: list[Slot], zone: str) -> list[str]:
    """Slot starts as local ``HH:MM`` strings, for readable assertions."""
    return [slot.start.astimezone(ZoneInfo(zone)).strftime("%H:%M") for slot in slots]


def clock(times: str) -> list[str]:
    """``"09:00 10:00"`` as ``["09:00", "10:00"]``: expected wall times, compactly."""
    return times.split()


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def daily(n: int, duration: int = 60) -> Rules:
    """Rules of ``duration`` minutes with at most ``n`` bookings per host and day."""
    return Rules(duration=minutes(duration), limits=(Limit(MEETING_TYPE, DAY, n),))


# --- plain schedules ---------------------------------------------------------


def test_it_offers_one_slot_per_duration_inside_weekday_hours():
    slots = slots_on(make_host(), MONDAY)
    assert wall_times(slots, BERLIN) == [f"{h:02d}:00" for h in range(9, 17)]
    assert slots[0] == Slot(
        start=datetime(2024, 1, 8, 8, tzinfo=UTC),
        end=datetime(2024, 1, 8, 9, tzinfo=UTC),
        host_ids=(1,),
    )


def test_it_returns_utc_datetimes():
    slots = slots_on(make_host(), MONDAY)
    assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in slots)


def test_it_offers_nothing_on_weekdays_without_hours():
    saturday = MONDAY + timedelta(days=5)
    assert slots_on(make_host(), saturday) == []


def test_an_override_without_intervals_is_a_day_off():
    host = make_host(overrides={MONDAY: ()})
    assert slots_on(host, MONDAY) == []
    assert len(slots_on(host, MONDAY + timedelta(days=1))) == 8


def test_an_override_replaces_the_weekday_hours():
    host = make_host(overrides={MONDAY: ((time(7), time(8)), (time(13), time(15)))})
    assert wall_times(slots_on(host, MONDAY), BERLIN) == ["07:00", "13:00", "14:00"]


def test_an_override_can_open_a_day_without_weekly_hours():
    sunday = MONDAY - timedelta(days=1)
    host = make_host(overrides={sunday: ((time(10), time(12)),)})
    assert wall_times(slots_on(host, sunday), BERLIN) == ["10:00", "11:00"]


def test_an_interval_ending_at_midnight_runs_to_the_end_of_the_day():
    host = one_day_host(BERLIN, MONDAY, (time(21), time(0)))
    assert wall_times(slots_on(host, MONDAY), BERLIN) == ["21:00", "22:00", "23:00"]


def test_an_interval_from_midnight_to_midnight_is_the_whole_day():
    host = one_day_host(BERLIN, MONDAY, (time(0), time(0)))
    assert len(slots_on(host, MONDAY)) == 24


def test_an_interval_ending_before_it_starts_is_rejected():
    host = one_day_host(BERLIN, MONDAY, (time(17), time(9)))
    with pytest.raises(ValueError):
        slots_on(host, MONDAY)


def test_the_last_slot_must_end_by_the_interval_end():
    host = one_day_host(BERLIN, MONDAY, (time(9), time(10, 30)))
    rules = Rules(duration=minutes(60), interval=minutes(30))
    assert wall_times(slots_on(host, MONDAY, rules), BERLIN) == ["09:00", "09:30"]


def test_a_step_shorter_than_the_duration_offers_overlapping_starts():
    host = one_day_host(BERLIN, MONDAY, (time(9), time(11)))
    rules = Rules(duration=minutes(45), interval=minutes(15))
    assert wall_times(slots_on(host, MONDAY, rules), BERLIN) == clock(
        "09:00 09:15 09:30 09:45 10:00 10:15"
    )


def test_a_step_longer_than_the_duration_leaves_gaps_between_slots():
    host = one_day_host(BERLIN, MONDAY, (time(9), time(12)))
    rules = Rules(duration=minutes(30), interval=minutes(90))
    slots = slots_on(host, MONDAY, rules)
    assert wall_times(slots, BERLIN) == ["09:00", "10:30"]
    assert all(slot.end - slot.start == minutes(30) for slot in slots)


def test_each_interval_starts_its_own_step_grid():
    host = one_day_host(BERLIN, MONDAY, (time(9), time(10)), (time(10, 15), time(11, 15)))
    assert wall_times(slots_on(host, MONDAY), BERLIN) == ["09:00", "10:15"]


# --- busy time and buffers ---------------------------------------------------


def test_busy_intervals_touching_a_slot_edge_do_not_block_it():
    busy = [(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11))]
    slots = slots_on(make_host(busy=busy), MONDAY)
    assert "09:00" in wall_times(slots, BERLIN)  # ends exactly when the busy time starts
    assert "11:00" in wall_times(slots, BERLIN)  # starts exactly when it ends
    assert "10:00" not in wall_times(slots, BERLIN)


def test_a_busy_interval_overlapping_by_one_minute_blocks_the_slot():
    busy = [(local(BERLIN, MONDAY, 10, 59), local(BERLIN, MONDAY, 11))]
    slots = slots_on(make_host(busy=busy), MONDAY)
    assert "10:00" not in wall_times(slots, BERLIN)
    assert "11:00" in wall_times(slots, BERLIN)


def test_unsorted_and_overlapping_busy_intervals_all_block():
    busy = [
        (local(BERLIN, MONDAY, 15), local(BERLIN, MONDAY, 16)),
        (local(BERLIN, MONDAY, 9, 30), local(BERLIN, MONDAY, 11)),
        (local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10)),
        (local(BERLIN, MONDAY, 11), local(BERLIN, MONDAY, 11, 30)),
    ]
    slots = slots_on(make_host(busy=busy), MONDAY)
    assert wall_times(slots, BERLIN) == ["12:00", "13:00", "14:00", "16:00"]


def test_an_empty_busy_interval_blocks_nothing():
    instant = local(BERLIN, MONDAY, 10, 30)
    busy = [(instant, instant), (instant, instant - minutes(10))]
    assert len(slots_on(make_host(busy=busy), MONDAY)) == 8


def test_busy_intervals_may_be_given_in_any_zone():
    start = datetime(2024, 1, 8, 5, tzinfo=ZoneInfo(NEW_YORK))  # 11:00 Berlin
    slots = slots_on(make_host(busy=[(start, start + minutes(60))]), MONDAY)
    assert "11:00" not in wall_times(slots, BERLIN)
    assert len(slots) == 7


def test_buffers_widen_the_window_that_must_be_free():
    busy = [(local(BERLIN, MONDAY, 12), local(BERLIN, MONDAY, 13))]
    rules = Rules(duration=minutes(60), buffer_before=minutes(15), buffer_after=minutes(15))
    slots = slots_on(make_host(busy=busy), MONDAY, rules)
    # 11:00 needs 11:00-12:15 free (buffer after), 13:00 needs 12:45-14:00 free.
    assert wall_times(slots, BERLIN) == ["09:00", "10:00", "14:00", "15:00", "16:00"]


def test_busy_time_touching_a_buffer_edge_does_not_block():
    busy = [
        (local(BERLIN, MONDAY, 8), local(BERLIN, MONDAY, 8, 50)),
        (local(BERLIN, MONDAY, 10, 10), local(BERLIN, MONDAY, 11)),
    ]
    rules = Rules(duration=minutes(60), buffer_before=minutes(10), buffer_after=minutes(10))
    slots = slots_on(make_host(busy=busy), MONDAY, rules)
    assert wall_times(slots, BERLIN)[:2] == ["09:00", "12:00"]


def test_buffers_may_reach_outside_working_hours():
    busy = [(local(BERLIN, MONDAY, 17), local(BERLIN, MONDAY, 17, 30))]
    rules = Rules(duration=minutes(60), buffer_after=minutes(5))
    assert "16:00" not in wall_times(slots_on(make_host(busy=busy), MONDAY, rules), BERLIN)


def test_negative_buffers_are_rejected():
    with pytest.raises(ValueError):
        slots_on(make_host(), MONDAY, Rules(duration=minutes(60), buffer_before=minutes(-5)))


def test_a_zero_duration_or_interval_is_rejected():
    with pytest.raises(ValueError):
        slots_on(make_host(), MONDAY, Rules(duration=timedelta(0)))
    with pytest.raises(ValueError):
        slots_on(make_host(), MONDAY, Rules(duration=minutes(30), interval=timedelta(0)))


# --- notice, horizon, range, daily limit -------------------------------------


def test_minimum_notice_hides_starts_before_now_plus_notice():
    now = local(BERLIN, MONDAY, 9, 10)
    rules = Rules(duration=minutes(60), minimum_notice=timedelta(hours=2))
    assert wall_times(slots_on(make_host(), MONDAY, rules, now=now), BERLIN)[0] == "12:00"


def test_a_start_exactly_at_now_plus_notice_is_offered():
    now = local(BERLIN, MONDAY, 9)
    rules = Rules(duration=minutes(60), minimum_notice=timedelta(hours=2))
    assert wall_times(slots_on(make_host(), MONDAY, rules, now=now), BERLIN)[0] == "11:00"


def test_starts_in_the_past_are_not_offered_even_without_notice():
    now = local(BERLIN, MONDAY, 12, 30)
    assert wall_times(slots_on(make_host(), MONDAY, now=now), BERLIN)[0] == "13:00"


def test_the_horizon_keeps_only_starts_before_now_plus_max_days():
    now = local(BERLIN, MONDAY, 12)
    rules = Rules(duration=minutes(60), max_days_in_advance=2)
    slots = slots_on(make_host(), MONDAY, rules, now=now, days=7)
    assert slots[-1].start == local(BERLIN, MONDAY + timedelta(days=2), 11)


def test_a_horizon_of_zero_days_offers_nothing():
    rules = Rules(duration=minutes(60), max_days_in_advance=0)
    assert slots_on(make_host(), MONDAY, rules, now=local(BERLIN, MONDAY, 0)) == []


def test_the_range_is_half_open():
    slots = compute_slots(
        hosts=[make_host()],
        rules=HOUR,
        range_start=local(BERLIN, MONDAY, 10),
        range_end=local(BERLIN, MONDAY, 13),
        now=LONG_AGO,
    )
    assert wall_times(slots, BERLIN) == ["10:00", "11:00", "12:00"]


def test_a_slot_starting_in_range_may_end_after_it():
    slots = compute_slots(
        hosts=[make_host()],
        rules=HOUR,
        range_start=local(BERLIN, MONDAY, 10),
        range_end=local(BERLIN, MONDAY, 10, 30),
        now=LONG_AGO,
    )
    assert [slot.end for slot in slots] == [local(BERLIN, MONDAY, 11)]


def test_the_daily_limit_closes_a_day_once_enough_bookings_start_on_it():
    booked = (local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 15))
    host = make_host(booked=booked)
    rules = daily(2)
    slots = slots_on(host, MONDAY, rules, days=2)
    assert {slot.start.date() for slot in slots} == {MONDAY + timedelta(days=1)}


def test_the_daily_limit_leaves_a_day_open_below_the_limit():
    host = make_host(booked=(local(BERLIN, MONDAY, 9),))
    rules = daily(2)
    assert len(slots_on(host, MONDAY, rules)) == 8


def test_the_daily_limit_counts_bookings_by_the_hosts_local_date():
    # 23:30 UTC on Monday is 00:30 on Tuesday in Berlin.
    booked = (datetime(2024, 1, 8, 23, 30, tzinfo=UTC),)
    rules = daily(1)
    slots = slots_on(make_host(booked=booked), MONDAY, rules, days=2)
    assert {slot.start.date() for slot in slots} == {MONDAY}


def test_a_daily_limit_of_zero_offers_nothing():
    assert slots_on(make_host(), MONDAY, daily(0)) == []


# --- limits by week, month, year, minutes, host and attendee -------------------

EVERY_DAY = {weekday: ((time(0), time(0)),) for weekday in range(7)}


def limited(*limits: Limit, duration: int = 60) -> Rules:
    return Rules(duration=minutes(duration), limits=limits)


def days_offered(slots: list[Slot], zone: str = BERLIN) -> set[date]:
    return {slot.start.astimezone(ZoneInfo(zone)).date() for slot in slots}


def test_a_weekly_limit_closes_the_hosts_monday_to_sunday_week():
    host = make_host(booked=(local(BERLIN, MONDAY + timedelta(days=2), 10),))
    slots = slots_on(host, MONDAY, limited(Limit(MEETING_TYPE, WEEK, 1)), days=14)
    assert days_offered(slots) == {MONDAY + timedelta(days=n) for n in range(7, 12)}


def test_a_monthly_and_a_yearly_limit_count_calendar_months_and_years():
    booked = (local(BERLIN, date(2024, 1, 31), 10),)
    monthly = slots_on(make_host(booked=booked), date(2024, 1, 29),
                       limited(Limit(MEETING_TYPE, MONTH, 1)), days=5)
    assert days_offered(monthly) == {date(2024, 2, 1), date(2024, 2, 2)}
    yearly = slots_on(make_host(booked=booked), date(2024, 12, 30),
                      limited(Limit(MEETING_TYPE, YEAR, 1)), days=3)
    assert days_offered(yearly) == {date(2025, 1, 1)}


def test_a_limit_in_minutes_keeps_a_day_open_for_what_still_fits():
    host = make_host(booked=(local(BERLIN, MONDAY, 9),))  # one hour booked
    rules = Rules(duration=minutes(30), limits=(Limit(MEETING_TYPE, DAY, 90, minutes=True),))
    assert len(slots_on(host, MONDAY, rules)) == 16
    too_long = Rules(duration=minutes(60), limits=(Limit(MEETING_TYPE, DAY, 90, minutes=True),))
    assert slots_on(host, MONDAY, too_long) == []


def test_a_host_limit_counts_every_meeting_type_and_a_meeting_type_limit_only_its_own():
    other = Booking(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10), same_type=False)
    host = HostInput(1, Schedule(BERLIN, WEEKDAYS_9_TO_17), bookings=(other,))
    assert slots_on(host, MONDAY, limited(Limit(HOST, DAY, 1))) == []
    assert len(slots_on(host, MONDAY, limited(Limit(MEETING_TYPE, DAY, 1)))) == 8


def test_an_attendee_limit_counts_the_attendees_bookings_with_any_host():
    mine = (Booking(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10)),)
    rules = limited(Limit(ATTENDEE, WEEK, 1))
    start = datetime.combine(MONDAY, time(0), ZoneInfo(BERLIN))
    kwargs = {"hosts": [make_host()], "rules": rules, "range_start": start,
              "range_end": start + timedelta(days=14), "now": LONG_AGO}
    assert len(compute_slots(**kwargs)) == 80
    assert days_offered(compute_slots(**kwargs, attendee_bookings=mine)) == {
        MONDAY + timedelta(days=n) for n in range(7, 12)}


@pytest.mark.parametrize(("monday", "late_sunday"), [
    (date(2024, 3, 25), date(2024, 3, 31)),  # the week clocks go forward
    (date(2024, 10, 21), date(2024, 10, 27)),  # the week they go back
])
def test_a_weekly_limit_follows_the_local_week_across_a_dst_change(monday, late_sunday):
    # 00:30 on the next Monday is still Sunday in UTC: it counts for the next week.
    next_monday = late_sunday + timedelta(days=1)
    host = make_host(weekly=EVERY_DAY, booked=(local(BERLIN, next_monday, 0, 30),))
    slots = slots_on(host, monday, limited(Limit(MEETING_TYPE, WEEK, 1)), days=14)
    assert days_offered(slots) == {monday + timedelta(days=n) for n in range(7)}
    assert slots[-1].start == local(BERLIN, late_sunday, 23)
    # And a booking at 23:30 on the Sunday fills that week, not the next.
    host = make_host(weekly=EVERY_DAY, booked=(local(BERLIN, late_sunday, 23, 30),))
    slots = slots_on(host, monday, limited(Limit(MEETING_TYPE, WEEK, 1)), days=14)
    assert days_offered(slots) == {next_monday + timedelta(days=n) for n in range(7)}
    assert slots[0].start == local(BERLIN, next_monday, 0)


# --- why a time is not offered -----------------------------------------------


def reasons_at(explained, zone: str = BERLIN) -> dict[str, str]:
    """Local ``HH:MM`` -> the first host's reason, of every refused time."""
    return {r.start.astimezone(ZoneInfo(zone)).strftime("%H:%M"): r.reasons[0].reason
            for r in explained.refused}


def test_each_refused_time_of_a_day_names_the_rule_that_refused_it():
    appointment = (local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11))
    calendar = (local(BERLIN, MONDAY, 13), local(BERLIN, MONDAY, 14))
    host = HostInput(1, Schedule(BERLIN, WEEKDAYS_9_TO_17), busy=(calendar,),
                     appointments=(appointment,))
    rules = Rules(duration=minutes(60), buffer_after=minutes(30), minimum_notice=minutes(60))
    start = datetime.combine(MONDAY, time(0), ZoneInfo(BERLIN))
    explained = explain_slots(hosts=[host], rules=rules, range_start=start,
                              range_end=start + timedelta(days=1), now=local(BERLIN, MONDAY, 8))
    why = reasons_at(explained)
    assert why["08:00"] == why["17:00"] == why["23:00"] == "outsideHours"
    assert why["09:00"] == "buffer"  # 09:00-10:00 plus 30 minutes meets 10:00
    assert why["10:00"] == "appointment"
    assert why["12:00"] == "buffer"
    assert why["13:00"] == "busyCalendar"
    assert wall_times(explained.slots, BERLIN) == clock("11:00 14:00 15:00 16:00")
    assert len(explained.slots) + len(explained.refused) == 24
    early = explain_slots(hosts=[host], rules=rules, range_start=start,
                          range_end=start + timedelta(days=1), now=local(BERLIN, MONDAY, 10, 30))
    assert reasons_at(early)["11:00"] == "notice"


def test_an_override_a_limit_a_horizon_and_a_policy_are_named():
    tuesday = MONDAY + timedelta(days=1)
    host = make_host(overrides={MONDAY: ((time(9), time(12)),)},
                     booked=(local(BERLIN, tuesday, 9),))
    start = datetime.combine(MONDAY, time(0), ZoneInfo(BERLIN))
    kwargs = {"hosts": [host], "range_start": start, "range_end": start + timedelta(days=3),
              "now": local(BERLIN, MONDAY, 0)}
    rules = Rules(duration=minutes(60), max_days_in_advance=2,
                  limits=(Limit(MEETING_TYPE, DAY, 1),))
    refused = {r.start: r.reasons[0] for r in explain_slots(rules=rules, **kwargs).refused}
    assert refused[local(BERLIN, MONDAY, 14)].reason == "override"
    assert refused[local(BERLIN, MONDAY, 20)].reason == "outsideHours"
    assert refused[local(BERLIN, tuesday, 10)] == HostReason(1, "limit", rules.limits[0])
    assert refused[local(BERLIN, MONDAY + timedelta(days=2), 10)].reason == "horizon"
    closed = explain_slots(rules=Rules(duration=minutes(60), policy="reschedulePolicy"), **kwargs)
    assert closed.slots == [] and {r.reasons[0].reason for r in closed.refused} == {"policy"}


def test_round_robin_names_every_hosts_reason_and_co_hosts_only_the_busy_ones():
    ada = make_host(host_id="ada", busy=[(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10))])
    bob = make_host(host_id="bob", overrides={MONDAY: ()})
    start = datetime.combine(MONDAY, time(9), ZoneInfo(BERLIN))
    kwargs = {"hosts": [ada, bob], "rules": HOUR, "range_start": start,
              "range_end": start + timedelta(hours=2), "now": LONG_AGO}
    robin = explain_slots(**kwargs, mode=ROUND_ROBIN)
    assert robin.refused == [Refusal(start, start + HOUR.duration, (
        HostReason("ada", "busyCalendar"), HostReason("bob", "override")))]
    assert robin.slots == [Slot(start + HOUR.duration, start + 2 * HOUR.duration, ("ada",))]
    co_hosts = explain_slots(**kwargs, mode=CO_HOST)
    assert [r.reasons for r in co_hosts.refused] == [
        (HostReason("ada", "busyCalendar"), HostReason("bob", "override")),
        (HostReason("bob", "override"),)]


# --- several hosts -----------------------------------------------------------


def test_round_robin_offers_a_start_when_any_host_is_free_and_lists_the_free_hosts():
    ada = make_host(host_id="ada", busy=[(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10))])
    bob = make_host(host_id="bob", busy=[(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11))])
    both = make_host(host_id="cy", busy=[(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 11))])
    slots = slots_on([ada, bob, both], MONDAY, mode=ROUND_ROBIN)
    assert [slot.host_ids for slot in slots[:3]] == [("bob",), ("ada",), ("ada", "bob", "cy")]
    assert len(slots) == 8


def test_round_robin_drops_a_start_when_no_host_is_free():
    busy = [(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10))]
    hosts = [make_host(host_id=n, busy=busy) for n in (1, 2)]
    assert wall_times(slots_on(hosts, MONDAY, mode=ROUND_ROBIN), BERLIN)[0] == "10:00"


def test_co_host_offers_a_start_only_when_all_hosts_are_free():
    ada = make_host(host_id="ada", busy=[(local(BERLIN, MONDAY, 9), local(BERLIN, MONDAY, 10))])
    bob = make_host(host_id="bob", busy=[(local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11))])
    slots = slots_on([ada, bob], MONDAY, mode=CO_HOST)
    assert wall_times(slots, BERLIN) == [f"{h}:00" for h in range(11, 17)]
    assert all(slot.host_ids == ("ada", "bob") for slot in slots)


def test_hosts_in_different_zones_are_matched_by_instant():
    berlin = make_host(BERLIN, host_id="berlin")  # 09-17 Berlin = 08-16 UTC
    new_york = make_host(NEW_YORK, host_id="ny")  # 09-17 New York = 14-22 UTC
    slots = slots_on([berlin, new_york], MONDAY, mode=CO_HOST)
    assert [slot.start.hour for slot in slots] == [14, 15]
    assert all(slot.host_ids == ("berlin", "ny") for slot in slots)


def test_hosts_with_different_step_grids_only_meet_on_shared_starts():
    early = one_day_host(BERLIN, MONDAY, (time(9), time(11)), host_id="early")
    late = one_day_host(BERLIN, MONDAY, (time(9, 30), time(11)), host_id="late")
    assert slots_on([early, late], MONDAY, mode=CO_HOST) == []
    assert len(slots_on([early, late], MONDAY, mode=ROUND_ROBIN)) == 3


def test_single_mode_needs_exactly_one_host():
    with pytest.raises(ValueError):
        slots_on([make_host(host_id=1), make_host(host_id=2)], MONDAY)


def test_an_unknown_mode_is_rejected():
    with pytest.raises(ValueError):
        slots_on(make_host(), MONDAY, mode="everyone")


def test_no_hosts_gives_no_slots():
    for mode in (SINGLE, ROUND_ROBIN, CO_HOST):
        result = compute_slots(
            hosts=[],
            rules=HOUR,
            range_start=local(BERLIN, MONDAY, 0),
            range_end=local(BERLIN, MONDAY, 23),
            now=LONG_AGO,
            mode=mode,
        )
        assert result == []


def test_an_empty_or_inverted_range_gives_no_slots():
    for end_hour in (10, 9):
        result = compute_slots(
            hosts=[make_host()],
            rules=HOUR,
            range_start=local(BERLIN, MONDAY, 10),
            range_end=local(BERLIN, MONDAY, end_hour),
            now=LONG_AGO,
        )
        assert result == []


@pytest.mark.parametrize("naive", ["range_start", "range_end", "now", "busy", "booked"])
def test_naive_datetimes_are_rejected(naive):
    naive_dt = datetime(2024, 1, 8, 10)
    aware_dt = naive_dt.replace(tzinfo=UTC)
    host = make_host(
        busy=[(naive_dt, aware_dt)] if naive == "busy" else [],
        booked=(naive_dt,) if naive == "booked" else (),
    )
    kwargs = {"range_start": aware_dt, "range_end": aware_dt + timedelta(days=1), "now": aware_dt}
    if naive in kwargs:
        kwargs[naive] = kwargs[naive].replace(tzinfo=None)
    with pytest.raises(ValueError):
        compute_slots(hosts=[host], rules=HOUR, **kwargs)


# --- daylight saving time and odd offsets ------------------------------------


def test_it_skips_local_times_that_do_not_exist_on_spring_forward():
    day = date(2024, 3, 31)  # Berlin: 02:00 CET -> 03:00 CEST
    host = one_day_host(BERLIN, day, (time(1), time(4)))
    slots = slots_on(host, day, Rules(duration=minutes(30)))
    assert wall_times(slots, BERLIN) == ["01:00", "01:30", "03:00", "03:30"]
    assert [slot.start.strftime("%H:%M") for slot in slots] == ["00:00", "00:30", "01:00", "01:30"]


def test_it_offers_an_ambiguous_fall_back_time_once_at_its_first_occurrence():
    day = date(2024, 10, 27)  # Berlin: 03:00 CEST -> 02:00 CET
    host = one_day_host(BERLIN, day, (time(1), time(4)))
    slots = slots_on(host, day, Rules(duration=minutes(30)))
    assert wall_times(slots, BERLIN) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert slots[2].start == local(BERLIN, day, 2, fold=0)  # 00:00 UTC, CEST
    assert slots[4].start - slots[3].start == minutes(90)  # the second 02:xx hour is skipped


def test_a_step_grid_through_the_gap_skips_the_missing_time_instead_of_shifting_it():
    day = date(2024, 3, 31)
    host = one_day_host(BERLIN, day, (time(1), time(4)))
    slots = slots_on(host, day, Rules(duration=minutes(30), interval=minutes(45)))
    # 02:30 does not exist; it is dropped, not moved to 03:30 CEST.
    assert wall_times(slots, BERLIN) == ["01:00", "01:45", "03:15"]


def test_a_whole_day_has_23_hourly_slots_on_spring_forward_and_24_on_fall_back():
    spring, autumn = date(2024, 3, 31), date(2024, 10, 27)
    assert len(slots_on(one_day_host(BERLIN, spring, (time(0), time(0))), spring)) == 23
    assert len(slots_on(one_day_host(BERLIN, autumn, (time(0), time(0))), autumn)) == 24


def test_new_york_spring_forward_skips_the_two_oclock_hour():
    day = date(2024, 3, 10)
    host = one_day_host(NEW_YORK, day, (time(1), time(4)))
    slots = slots_on(host, day, Rules(duration=minutes(30)))
    assert wall_times(slots, NEW_YORK) == ["01:00", "01:30", "03:00", "03:30"]
    assert slots[2].start == datetime(2024, 3, 10, 7, tzinfo=UTC)


def test_new_york_fall_back_offers_the_one_oclock_hour_once_in_daylight_time():
    day = date(2024, 11, 3)
    host = one_day_host(NEW_YORK, day, (time(0, 30), time(3)))
    slots = slots_on(host, day, Rules(duration=minutes(30)))
    assert wall_times(slots, NEW_YORK) == ["00:30", "01:00", "01:30", "02:00", "02:30"]
    assert slots[1].start == datetime(2024, 11, 3, 5, tzinfo=UTC)  # 01:00 EDT
    assert slots[3].start == datetime(2024, 11, 3, 7, tzinfo=UTC)  # 02:00 EST


def test_lord_howe_half_hour_spring_forward_skips_two_to_half_past_two():
    day = date(2024, 10, 6)  # 02:00 +10:30 -> 02:30 +11:00
    zone = "Australia/Lord_Howe"
    host = one_day_host(zone, day, (time(1), time(3)))
    slots = slots_on(host, day, Rules(duration=minutes(30), interval=minutes(15)))
    assert wall_times(slots, zone) == ["01:00", "01:15", "01:30", "01:45", "02:30"]
    assert slots[-1].start == datetime(2024, 10, 5, 15, 30, tzinfo=UTC)


def test_lord_howe_half_hour_fall_back_offers_half_past_one_once():
    day = date(2024, 4, 7)  # 02:00 +11:00 -> 01:30 +10:30
    zone = "Australia/Lord_Howe"
    host = one_day_host(zone, day, (time(1), time(3)))
    slots = slots_on(host, day, Rules(duration=minutes(30), interval=minutes(15)))
    assert wall_times(slots, zone) == clock("01:00 01:15 01:30 01:45 02:00 02:15 02:30")
    assert slots[2].start == datetime(2024, 4, 6, 14, 30, tzinfo=UTC)  # first 01:30, +11:00
    assert slots[4].start == datetime(2024, 4, 6, 15, 30, tzinfo=UTC)  # 02:00 +10:30


def test_kathmandu_quarter_hour_offset_is_honoured():
    zone = "Asia/Kathmandu"  # +05:45, no DST
    slots = slots_on(make_host(zone), MONDAY)
    assert slots[0].start == datetime(2024, 1, 8, 3, 15, tzinfo=UTC)
    assert wall_times(slots, zone)[0] == "09:00"


def test_chatham_spring_forward_skips_the_missing_hour():
    day = date(2024, 9, 29)  # Pacific/Chatham: 02:45 +12:45 -> 03:45 +13:45
    zone = "Pacific/Chatham"
    host = one_day_host(zone, day, (time(2), time(5)))
    slots = slots_on(host, day, Rules(duration=minutes(30), interval=minutes(15)))
    assert wall_times(slots, zone) == clock("02:00 02:15 02:30 03:45 04:00 04:15 04:30")


def test_negative_offsets_put_local_mornings_later_in_utc():
    slots = slots_on(make_host("America/St_Johns"), MONDAY)  # -03:30 in January
    assert slots[0].start == datetime(2024, 1, 8, 12, 30, tzinfo=UTC)


def test_a_slot_across_the_gap_lasts_its_duration_in_absolute_time():
    day = date(2024, 3, 31)
    host = one_day_host(BERLIN, day, (time(1), time(4)))
    slots = slots_on(host, day, Rules(duration=minutes(60)))
    assert wall_times(slots, BERLIN) == ["01:00", "03:00"]
    assert slots[0].end.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") == "03:00"


def test_an_interval_ending_inside_the_gap_ends_as_if_the_clocks_had_not_jumped():
    day = date(2024, 3, 31)  # the interval's 02:30 end does not exist; it means 03:30 CEST
    host = one_day_host(BERLIN, day, (time(0), time(2, 30)))
    slots = slots_on(host, day, Rules(duration=minutes(90), interval=minutes(60)))
    assert wall_times(slots, BERLIN) == ["00:00", "01:00"]
    assert slots[-1].end == local(BERLIN, day, 3, 30)


def test_an_ambiguous_interval_end_is_its_first_occurrence():
    day = date(2024, 10, 27)
    host = one_day_host(BERLIN, day, (time(1), time(2, 30)))
    slots = slots_on(host, day, Rules(duration=minutes(30)))
    assert wall_times(slots, BERLIN) == ["01:00", "01:30", "02:00"]
    assert slots[-1].end == local(BERLIN, day, 2, 30, fold=0)


def test_a_schedule_in_one_zone_queried_over_a_utc_range_returns_its_local_days():
    zone = "Pacific/Auckland"  # +13:00 in January: Monday 09:00 there is Sunday 20:00 UTC
    sunday_utc = datetime(2024, 1, 7, tzinfo=UTC)
    slots = compute_slots(
        hosts=[make_host(zone)],
        rules=HOUR,
        range_start=sunday_utc,
        range_end=sunday_utc + timedelta(days=1),
        now=LONG_AGO,
    )
    assert wall_times(slots, zone) == ["09:00", "10:00", "11:00", "12:00"]
    assert slots[0].start == datetime(2024, 1, 7, 20, tzinfo=UTC)


def test_a_range_given_in_another_zone_means_the_same_instants():
    new_york = ZoneInfo(NEW_YORK)
    start = datetime(2024, 1, 8, 4, tzinfo=new_york)  # 10:00 Berlin
    slots = compute_slots(
        hosts=[make_host()],
        rules=HOUR,
        range_start=start,
        range_end=start + timedelta(hours=2),
        now=LONG_AGO,
    )
    assert wall_times(slots, BERLIN) == ["10:00", "11:00"]


# --- host_free_at --------------------------------------------------------------


def test_host_free_at_agrees_with_compute_slots_on_every_quarter_hour():
    day = date(2024, 10, 27)
    busy = [(local(BERLIN, day, 11), local(BERLIN, day, 12, 10))]
    host = one_day_host(BERLIN, day, (time(1), time(4)), (time(9), time(17)), busy=busy)
    rules = Rules(duration=minutes(45), interval=minutes(30), buffer_after=minutes(5))
    offered = {slot.start for slot in slots_on(host, day, rules)}
    start = local(BERLIN, day, 0)
    while start < local(BERLIN, day + timedelta(days=1), 0):
        assert host_free_at(host=host, rules=rules, start=start, now=LONG_AGO) == (start in offered)
        start += minutes(15)


def test_host_free_at_rejects_a_start_off_the_step_grid():
    start = local(BERLIN, MONDAY, 9, 30)
    assert not host_free_at(host=make_host(), rules=HOUR, start=start, now=LONG_AGO)
    assert host_free_at(host=make_host(), rules=HOUR, start=start - minutes(30), now=LONG_AGO)


def test_host_free_at_honours_ignore_busy():
    own = (local(BERLIN, MONDAY, 10), local(BERLIN, MONDAY, 11))
    other = (local(BERLIN, MONDAY, 12), local(BERLIN, MONDAY, 13))
    host = make_host(busy=[own, other])
    ten, twelve = own[0], other[0]
    assert not host_free_at(host=host, rules=HOUR, start=ten, now=LONG_AGO)
    assert host_free_at(host=host, rules=HOUR, start=ten, now=LONG_AGO, ignore_busy=(own,))
    assert not host_free_at(host=host, rules=HOUR, start=twelve, now=LONG_AGO, ignore_busy=(own,))


def test_host_free_at_applies_notice_horizon_and_daily_limit():
    start = local(BERLIN, MONDAY, 14)
    host = make_host(booked=(local(BERLIN, MONDAY, 9),))
    now = local(BERLIN, MONDAY, 12)
    assert host_free_at(host=host, rules=HOUR, start=start, now=now)
    notice = Rules(duration=minutes(60), minimum_notice=timedelta(hours=3))
    assert not host_free_at(host=host, rules=notice, start=start, now=now)
    horizon = Rules(duration=minutes(60), max_days_in_advance=0)
    assert not host_free_at(host=host, rules=horizon, start=start, now=now)
    limit = daily(1)
    assert not host_free_at(host=host, rules=limit, start=start, now=now)


def test_host_free_at_rejects_the_second_occurrence_of_an_ambiguous_time():
    day = date(2024, 10, 27)
    host = one_day_host(BERLIN, day, (time(1), time(4)))
    rules = Rules(duration=minutes(30))
    first, second = local(BERLIN, day, 2, fold=0), local(BERLIN, day, 2, fold=1)
    assert host_free_at(host=host, rules=rules, start=first, now=LONG_AGO)
    assert not host_free_at(host=host, rules=rules, start=second, now=LONG_AGO)


def test_host_free_at_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        host_free_at(host=make_host(), rules=HOUR, start=datetime(2024, 1, 8, 9), now=LONG_AGO)


# --- properties: the engine equals the brute-force reference -----------------

# The zones under test, each with its 2024 DST transition days (local dates).
TRANSITIONS = {
    "Europe/Berlin": [date(2024, 3, 31), date(2024, 10, 27)],
    "America/New_York": [date(2024, 3, 10), date(2024, 11, 3)],
    "America/Sao_Paulo": [],  # negative offset, no DST since 2019
    "Australia/Lord_Howe": [date(2024, 4, 7), date(2024, 10, 6)],  # 30-minute shifts
    "Asia/Kathmandu": [],  # +05:45
    "Pacific/Chatham": [date(2024, 4, 7), date(2024, 9, 29)],  # +12:45 / +13:45
    "UTC": [],
    "America/St_Johns": [date(2024, 3, 10), date(2024, 11, 3)],  # -03:30 / -02:30
}
ZONES = list(TRANSITIONS)
ANCHOR_DAYS = sorted({day for days in TRANSITIONS.values() for day in days} | {date(2024, 6, 17)})
PROPERTY = settings(max_examples=200, deadline=None)


def grid_time(quarter: int) -> time:
    """Quarter-hour ``quarter`` of the day as a time; 96 (24:00) becomes time(0, 0)."""
    return time((quarter // 4) % 24, (quarter % 4) * 15)


@st.composite
def day_intervals(draw, early: bool = False) -> tuple:
    """Sorted, non-overlapping intervals on a 15-minute grid; may touch or be empty.

    ``early`` puts about half the boundaries before 05:00, where DST shifts happen.
    """
    quarters = st.integers(0, 20) | st.integers(0, 96) if early else st.integers(0, 96)
    cuts = sorted(draw(st.sets(quarters, min_size=2, max_size=8)))
    gaps = list(pairwise(cuts))
    keep = draw(st.lists(st.booleans(), min_size=len(gaps), max_size=len(gaps)))
    return tuple(
        (grid_time(a), grid_time(b)) for (a, b), kept in zip(gaps, keep, strict=True) if kept
    )


def instants(anchor: datetime, days_before: int, days_after: int, step: int = 5):
    """Instants from ``anchor - days_before`` to ``anchor + days_after`` on a minute grid."""
    first, last = -days_before * 24 * 60 // step, days_after * 24 * 60 // step
    return st.integers(first, last).map(lambda n: anchor + minutes(n * step))


# Built once: strategies made afresh inside every draw make generation the slow part.
DAY_INTERVALS = day_intervals()
EARLY_DAY_INTERVALS = day_intervals(early=True)
WEEKLY = st.dictionaries(st.integers(0, 6), DAY_INTERVALS, min_size=3, max_size=7)
OVERRIDES = st.dictionaries(st.integers(-3, 5), DAY_INTERVALS, max_size=3)  # by day offset
BUSY = st.lists(  # (start, length) in 5-minute units; a length <= 0 is an empty interval
    st.tuples(st.integers(-24 * 12, 4 * 24 * 12), st.integers(-6, 8 * 12)), max_size=12
)
BOOKED = st.lists(st.integers(-24 * 4, 4 * 24 * 4), max_size=6)  # 15-minute units
LENGTHS = st.lists(st.tuples(st.integers(1, 8), st.booleans()), min_size=6, max_size=6)


@st.composite
def hosts_near(draw, zone: str, day: date, around: datetime, host_id: int) -> HostInput:
    """A random host in ``zone``; its overrides cluster around local ``day`` (which
    usually gets early-morning hours) and its busy time and bookings around ``around``
    (from one day before to four days after)."""
    overrides = {day + timedelta(days=n): hours for n, hours in draw(OVERRIDES).items()}
    if draw(st.integers(0, 3)):  # usually
        overrides[day] = draw(EARLY_DAY_INTERVALS)
    schedule = Schedule(timezone=zone, weekly=draw(WEEKLY), overrides=overrides)
    busy = tuple(
        (around + minutes(5 * start), around + minutes(5 * (start + length)))
        for start, length in draw(BUSY)
    )
    booked = tuple(around + minutes(15 * n) for n in draw(BOOKED))
    bookings = tuple(Booking(start, start + minutes(15 * length), same)
                     for start, (length, same) in zip(booked, draw(LENGTHS), strict=False))
    appointments = tuple(
        (around + minutes(5 * start), around + minutes(5 * (start + length)))
        for start, length in draw(BUSY)[:4]
    )
    return HostInput(host_id, schedule, busy, bookings, appointments)


LIMITS = st.builds(
    Limit,
    scope=st.sampled_from(SCOPES),
    period=st.sampled_from(PERIODS),
    max=st.integers(0, 3) | st.integers(0, 300),
    minutes=st.booleans(),
)
rules_strategy = st.builds(
    Rules,
    duration=st.sampled_from([15, 20, 30, 45, 60, 90, 120]).map(minutes),
    interval=st.none() | st.sampled_from([10, 15, 20, 30, 45, 60, 90]).map(minutes),
    buffer_before=st.sampled_from([0, 5, 10, 15, 30, 60]).map(minutes),
    buffer_after=st.sampled_from([0, 5, 10, 15, 30, 60]).map(minutes),
    minimum_notice=st.sampled_from([0, 0, 0, 15, 60, 6 * 60, 24 * 60, 50 * 60]).map(minutes),
    max_days_in_advance=st.none() | st.integers(0, 10),
    limits=st.lists(LIMITS, max_size=3).map(tuple),
    policy=st.sampled_from([None] * 15 + ["reschedulePolicy"]),
)


@st.composite
def scenarios(draw, max_hosts: int = 1):
    """Keyword arguments for compute_slots: hosts, rules and a range of up to 4 days
    around 02:00 local on a DST transition day of the first host's zone (any of
    the anchor days if that zone has none), so the range covers the shift."""
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(TRANSITIONS[zone] or ANCHOR_DAYS))
    anchor = datetime.combine(day, time(2), ZoneInfo(zone)).astimezone(UTC)
    range_start = anchor - minutes(15) * draw(st.integers(0, 2 * 24 * 4))
    range_end = anchor + minutes(15) * draw(st.integers(1, 2 * 24 * 4))
    hosts = []
    for host_id in range(draw(st.integers(1, max_hosts))):
        host_zone = zone if host_id == 0 else draw(st.sampled_from([zone, *ZONES]))
        hosts.append(draw(hosts_near(host_zone, day, range_start, host_id)))
    shown_in = ZoneInfo(draw(st.sampled_from(ZONES)))  # a range may come in any zone
    return {
        "hosts": hosts,
        "rules": draw(rules_strategy),
        "range_start": range_start.astimezone(shown_in),
        "range_end": range_end.astimezone(shown_in),
        "now": draw(instants(range_start, 3, 1, step=15)),
        "attendee_bookings": tuple(
            Booking(range_start + minutes(15 * n), range_start + minutes(15 * (n + length)))
            for n, length in draw(st.lists(st.tuples(st.integers(-96, 4 * 96), st.integers(1, 8)),
                                           max_size=3))),
    }


@PROPERTY
@given(scenarios())
def test_a_single_host_gets_exactly_the_reference_slots(scenario):
    assert compute_slots(**scenario) == reference.compute_slots(**scenario)


@PROPERTY
@given(scenarios(max_hosts=3))
def test_round_robin_gets_exactly_the_reference_slots(scenario):
    expected = reference.compute_slots(**scenario, mode=ROUND_ROBIN)
    assert compute_slots(**scenario, mode=ROUND_ROBIN) == expected


@PROPERTY
@given(scenarios(max_hosts=3))
def test_co_hosts_get_exactly_the_reference_slots(scenario):
    expected = reference.compute_slots(**scenario, mode=CO_HOST)
    assert compute_slots(**scenario, mode=CO_HOST) == expected


@PROPERTY
@given(scenarios())
def test_slots_are_sorted_unique_in_range_and_exist_locally(scenario):
    slots = compute_slots(**scenario)
    zone = ZoneInfo(scenario["hosts"][0].schedule.timezone)
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    walls = [start.astimezone(zone).replace(tzinfo=None) for start in starts]
    assert len(set(walls)) == len(walls)  # no local time offered twice
    for slot, wall in zip(slots, walls, strict=True):
        assert scenario["range_start"] <= slot.start < scenario["range_end"]
        assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC
        assert slot.end - slot.start == scenario["rules"].duration
        # The wall time exists and is its own first occurrence.
        assert wall.replace(tzinfo=zone).astimezone(UTC) == slot.start


@PROPERTY
@given(scenarios(), st.data())
def test_host_free_at_matches_the_reference(scenario, data):
    host = scenario["hosts"][0]
    rules, now = scenario["rules"], scenario["now"]
    ignore = tuple(data.draw(st.lists(st.sampled_from(host.busy), max_size=2))) if host.busy else ()
    offered = [slot.start for slot in compute_slots(**{**scenario, "hosts": [host]})]
    around = scenario["range_start"].astimezone(UTC)
    probes = offered[:3] + data.draw(st.lists(instants(around, 1, 3, step=15), max_size=6))
    for start in probes:
        expected = reference.host_free_at(
            host=host, rules=rules, start=start, now=now, ignore_busy=ignore
        )
        actual = host_free_at(host=host, rules=rules, start=start, now=now, ignore_busy=ignore)
        assert actual == expected
        if start in offered:
            assert actual  # ignoring busy time can only free more starts


# --- properties: why a time is not offered ---------------------------------------


def accounted(explained) -> list:
    """Every candidate time of an explanation: its slots' starts and its refusals'."""
    return [slot.start for slot in explained.slots] + [r.start for r in explained.refused]


@PROPERTY
@given(scenarios(max_hosts=3), st.sampled_from(MODES))
def test_slots_and_reasons_account_for_every_candidate_time_exactly_once(scenario, mode):
    if mode == SINGLE:
        scenario = {**scenario, "hosts": scenario["hosts"][:1]}
    explained = explain_slots(**scenario, mode=mode)
    expected = reference.explain_slots(**scenario, mode=mode)
    times = accounted(explained)
    assert len(times) == len(set(times))  # no time twice
    assert sorted(times) == sorted(accounted(expected))  # and none missing
    assert explained.slots == compute_slots(**scenario, mode=mode)
    assert explained == expected  # each refusal with the reference's reasons
    every = {host.host_id for host in scenario["hosts"]}
    for refusal in explained.refused:
        assert refusal.reasons and all(r.reason in REASONS for r in refusal.reasons)
        refusing = [r.host_id for r in refusal.reasons]
        assert len(refusing) == len(set(refusing))
        if mode != CO_HOST:
            assert set(refusing) == every  # nobody was free
