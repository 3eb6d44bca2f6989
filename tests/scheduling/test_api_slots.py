"""``GET /v4/booking-availability`` (and ``/v4/availability?meetingTypeId``): every
setting's effect on the slots, bad input, company isolation and query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scheduling.models import BusyTime
from scheduling.services.queues import queue_create
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after, nine_to_five

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def get_slots(client, meeting_type, start, end, **params):
    query = {"meetingTypeId": str(meeting_type.uuid), "start": str(start), "end": str(end),
             **params}
    return client.get("/v4/booking-availability", query)


def starts(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [slot["start"] for slot in response.json()["availableSlots"]]


def local_times(response, zone=BERLIN) -> list[str]:
    return [dt.datetime.fromisoformat(s).astimezone(zone).strftime("%H:%M")
            for s in starts(response)]


def berlin(day: dt.date, hhmm: str) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), BERLIN)


@pytest.fixture
def monday():
    return monday_after(14)


@pytest.fixture
def intro(owner):
    make_schedule(owner)
    return make_meeting_type(owner, durations=[30, 60])


def test_the_code_examples_request_gets_slots(owner, intro, monday):
    client = client_for(owner, act_as=owner)
    response = get_slots(client, intro, monday, monday + dt.timedelta(days=7))
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    # Monday to Friday 09:00-17:00 in steps of 30 minutes; the end date is inclusive.
    assert len(body["availableSlots"]) == 5 * 16 + 16
    first = body["availableSlots"][0]
    assert dt.datetime.fromisoformat(first["start"]) == berlin(monday, "09:00")
    assert dt.datetime.fromisoformat(first["end"]) == berlin(monday, "09:30")
    assert first["start"][-6:] in ("+01:00", "+02:00")


def test_the_availability_endpoint_answers_the_same_with_a_meeting_type(api, intro, monday):
    params = {"meetingTypeId": str(intro.uuid), "start": str(monday), "end": str(monday)}
    assert api.get("/v4/availability", params).json() == api.get(
        "/v4/booking-availability", params).json()


def test_slots_come_in_the_requested_time_zone(api, intro, monday):
    response = get_slots(api, intro, monday, monday, timezone="America/New_York")
    body = response.json()
    assert body["timezone"] == "America/New_York"
    # The Monday of New York starts six hours after Berlin's: its 00:00 is 06:00 there.
    zone = ZoneInfo("America/New_York")
    assert all(s.endswith(("-05:00", "-04:00")) for s in starts(response))
    first = dt.datetime.fromisoformat(starts(response)[0])
    assert first == berlin(monday, "09:00")
    assert first.astimezone(zone).date() == monday


def test_a_range_of_instants_with_offsets_is_half_open(api, intro, monday):
    start = berlin(monday, "10:00").isoformat()
    end = berlin(monday, "12:00").astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert local_times(get_slots(api, intro, start, end)) == ["10:00", "10:30", "11:00", "11:30"]


def test_the_duration_must_be_an_allowed_one(api, intro, monday):
    assert len(starts(get_slots(api, intro, monday, monday, duration=60))) == 8
    response = get_slots(api, intro, monday, monday, duration=45)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Duration must match one of the allowed durations for this meeting type")
    assert response.json()["errors"][0]["field"] == "duration"


def test_the_default_duration_applies(owner, monday):
    make_schedule(owner)
    meeting_type = make_meeting_type(owner, durations=[30, 60], default_duration=60)
    response = get_slots(client_for(owner), meeting_type, monday, monday)
    assert response.json()["duration"] == 60
    assert local_times(response)[:2] == ["09:00", "10:00"]


def test_the_slot_interval_spaces_starts(owner, monday):
    make_schedule(owner)
    meeting_type = make_meeting_type(owner, durations=[30], slot_interval=20)
    times = local_times(get_slots(client_for(owner), meeting_type, monday, monday))
    assert times[:4] == ["09:00", "09:20", "09:40", "10:00"]
    assert times[-1] == "16:20"  # 16:40 would end after 17:00


def test_busy_time_with_buffers_removes_slots(owner, member, monday):
    make_schedule(owner)
    meeting_type = make_meeting_type(owner, buffer_before=15, buffer_after=15)
    BusyTime.objects.create(user=owner.user, start=berlin(monday, "10:00"),
                            end=berlin(monday, "11:00"))
    BusyTime.objects.create(user=member.user, start=berlin(monday, "13:00"),
                            end=berlin(monday, "17:00"))  # someone else's
    times = local_times(get_slots(client_for(owner), meeting_type, monday, monday))
    assert times == ["09:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00", "14:30",
                     "15:00", "15:30", "16:00", "16:30"]


def test_busy_time_without_buffers_blocks_only_what_it_overlaps(owner, intro, monday):
    BusyTime.objects.create(user=owner.user, start=berlin(monday, "10:00"),
                            end=berlin(monday, "11:00"))
    times = local_times(get_slots(client_for(owner), intro, monday, monday))
    assert "09:30" in times and "11:00" in times
    assert "10:00" not in times and "10:30" not in times


def test_minimum_notice_hides_slots_too_soon(owner):
    make_schedule(owner, weekly=nine_to_five(days=(
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        start="00:00", end="24:00"))
    meeting_type = make_meeting_type(owner, minimum_notice=3 * 24 * 60)
    today = timezone.localdate(timezone=BERLIN)
    response = get_slots(client_for(owner), meeting_type, today, today + dt.timedelta(days=6))
    earliest = timezone.now() + dt.timedelta(days=3)
    found = [dt.datetime.fromisoformat(s) for s in starts(response)]
    assert min(found) >= earliest
    assert min(found) - earliest < dt.timedelta(minutes=30)


def test_the_horizon_hides_slots_too_far_ahead(owner):
    make_schedule(owner, weekly=nine_to_five(days=(
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        start="00:00", end="24:00"))
    meeting_type = make_meeting_type(owner, max_days_in_advance=2)
    today = timezone.localdate(timezone=BERLIN)
    found = [dt.datetime.fromisoformat(s) for s in starts(get_slots(
        client_for(owner), meeting_type, today, today + dt.timedelta(days=6)))]
    assert max(found) < timezone.now() + dt.timedelta(days=2)
    assert max(found) > timezone.now() + dt.timedelta(days=2, minutes=-31)
    later = get_slots(client_for(owner), meeting_type, today + dt.timedelta(days=3),
                      today + dt.timedelta(days=6))
    assert starts(later) == []


def test_date_overrides_give_a_day_off_or_other_hours(owner, monday):
    tuesday = monday + dt.timedelta(days=1)
    make_schedule(owner, overrides=[
        {"date": str(monday), "intervals": []},
        {"date": str(tuesday), "intervals": [{"start": "18:00", "end": "19:00"}]},
    ])
    meeting_type = make_meeting_type(owner)
    times = local_times(get_slots(client_for(owner), meeting_type, monday, tuesday))
    assert times == ["18:00", "18:30"]


def test_the_meeting_types_schedule_replaces_the_hosts_default(owner, monday):
    make_schedule(owner)
    evenings = make_schedule(owner, name="Evenings", timezone="Asia/Kathmandu",
                             weekly=nine_to_five(start="19:00", end="20:00"))
    meeting_type = make_meeting_type(owner, schedule_id=str(evenings.uuid))
    response = get_slots(client_for(owner), meeting_type, monday, monday)
    assert response.json()["timezone"] == "Asia/Kathmandu"
    assert [s[11:] for s in starts(response)] == ["19:00:00+05:45", "19:30:00+05:45"]


def test_a_host_without_a_schedule_works_nine_to_five_in_their_zone(owner, monday):
    owner.user.timezone = "America/Chicago"
    owner.user.save()
    meeting_type = make_meeting_type(owner)
    response = get_slots(client_for(owner), meeting_type, monday, monday)
    assert response.json()["timezone"] == "America/Chicago"
    assert local_times(response, ZoneInfo("America/Chicago"))[::4] == [
        "09:00", "11:00", "13:00", "15:00"]
    saturday = monday + dt.timedelta(days=5)
    assert starts(get_slots(client_for(owner), meeting_type, saturday, saturday)) == []


def test_a_spring_forward_day_has_no_slot_in_the_gap_and_none_twice(owner):
    year = timezone.now().year + 1
    last_sunday = max(dt.date(year, 3, day) for day in range(25, 32)
                      if dt.date(year, 3, day).weekday() == 6)
    make_schedule(owner, weekly={"sunday": [{"start": "00:00", "end": "24:00"}]})
    meeting_type = make_meeting_type(owner, durations=[60])
    response = get_slots(client_for(owner), meeting_type, last_sunday, last_sunday)
    times = local_times(response)
    assert "02:00" not in times
    assert len(times) == len(set(times)) == 23
    assert starts(response)[1].endswith("01:00:00+01:00")
    assert starts(response)[2].endswith("03:00:00+02:00")


def test_round_robin_offers_a_slot_when_any_member_is_free(owner, member, monday):
    make_schedule(owner, weekly=nine_to_five(start="09:00", end="10:00"))
    make_schedule(member, weekly=nine_to_five(start="09:30", end="11:00"))
    queue = queue_create(company=owner.company, actor=owner, name="Sales", kind="round_robin",
                         member_ids=[str(owner.user.uuid), str(member.user.uuid)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid))
    client = client_for(owner)
    assert local_times(get_slots(client, meeting_type, monday, monday)) == [
        "09:00", "09:30", "10:00", "10:30"]
    only_member = get_slots(client, meeting_type, monday, monday, hostId=str(member.user.uuid))
    assert local_times(only_member) == ["09:30", "10:00", "10:30"]


def test_co_hosts_offer_a_slot_only_when_all_are_free(owner, member, monday):
    make_schedule(owner, weekly=nine_to_five(start="09:00", end="10:30"))
    make_schedule(member, weekly=nine_to_five(start="09:30", end="11:00"))
    queue = queue_create(company=owner.company, actor=owner, name="Pair", kind="co_host",
                         member_ids=[str(owner.user.uuid), str(member.user.uuid)])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid))
    BusyTime.objects.create(user=member.user, start=berlin(monday, "09:30"),
                            end=berlin(monday, "09:45"))
    assert local_times(get_slots(client_for(owner), meeting_type, monday, monday)) == ["10:00"]


def test_one_on_one_with_several_hosts_offers_any_hosts_slot(owner, member, monday):
    make_schedule(owner, weekly=nine_to_five(start="09:00", end="09:30"))
    make_schedule(member, weekly=nine_to_five(start="12:00", end="12:30"))
    meeting_type = make_meeting_type(owner, hosts=[owner, member])
    client = client_for(owner)
    assert local_times(get_slots(client, meeting_type, monday, monday)) == ["09:00", "12:00"]
    assert local_times(get_slots(client, meeting_type, monday, monday,
                                 hostId=str(member.user.uuid))) == ["12:00"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2024-01-15T09:00:00"}, "start"),
        ({"end": "next week"}, "end"),
        ({"start": "2024-02-30"}, "start"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"duration": "long"}, "duration"),
        ({"hostId": "nobody"}, "hostId"),
        ({"meetingTypeId": "not-a-uuid"}, "meetingTypeId"),
    ],
)
def test_bad_parameters_are_a_400_with_the_field(api, intro, params, field):
    query = {"meetingTypeId": str(intro.uuid), "start": "2024-01-15", "end": "2024-01-22",
             **params}
    response = api.get("/v4/booking-availability", query)
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_missing_parameters_are_named(api):
    response = api.get("/v4/booking-availability")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"meetingTypeId", "start", "end"}


def test_a_range_past_about_three_months_is_refused(api, intro, monday):
    assert get_slots(api, intro, monday, monday + dt.timedelta(days=92)).status_code == 200
    response = get_slots(api, intro, monday, monday + dt.timedelta(days=93))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "end", "message": "The range may span at most 93 days"}]
    autumn = get_slots(api, intro, "2030-09-01", "2030-12-02", timezone="Europe/Berlin")
    assert autumn.status_code == 200  # 93 local days, one of them 25 hours long
    backwards = get_slots(api, intro, monday, monday - dt.timedelta(days=1))
    assert backwards.status_code == 400


def test_a_host_id_that_does_not_host_is_refused(api, intro, member, monday):
    response = get_slots(api, intro, monday, monday, hostId=str(member.user.uuid))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "hostId"


def test_another_companys_meeting_type_is_not_found(api, other_company, monday):
    foreign = make_meeting_type(other_company[1])
    response = get_slots(api, foreign, monday, monday)
    assert response.status_code == 404
    assert response.json()["message"] == "Meeting type not found"
    unknown = api.get("/v4/booking-availability", {
        "meetingTypeId": "00000000-0000-0000-0000-000000000000", "start": str(monday),
        "end": str(monday)})
    assert unknown.status_code == 404


def test_slots_need_an_api_key(intro, monday):
    from rest_framework.test import APIClient

    assert get_slots(APIClient(), intro, monday, monday).status_code == 401


def _queue_of(owner, size: int):
    members = [owner] + [make_member(owner) for _ in range(size - 1)]
    for index, membership in enumerate(members):
        make_schedule(membership, timezone=("Europe/Berlin", "Asia/Tokyo")[index % 2],
                      overrides=[{"date": str(monday_after(14)), "intervals": []}])
        BusyTime.objects.create(user=membership.user, start=timezone.now(),
                                end=timezone.now() + dt.timedelta(days=20, hours=index))
    queue = queue_create(company=owner.company, actor=owner, name=f"Q{size}",
                         kind="round_robin", member_ids=[str(m.user.uuid) for m in members])
    return make_meeting_type(owner, title=f"Team {size}", queue_id=str(queue.uuid))


def _count_queries(client, meeting_type) -> int:
    monday = monday_after(14)
    with CaptureQueriesContext(connection) as queries:
        response = get_slots(client, meeting_type, monday, monday + dt.timedelta(days=30))
    assert response.status_code == 200
    assert response.json()["availableSlots"]
    return len(queries)


def test_slots_take_the_same_number_of_queries_for_one_host_and_ten(owner):
    client = client_for(owner)
    one, ten = _queue_of(owner, 1), _queue_of(owner, 10)
    _count_queries(client, one)  # warm up what a first request caches
    assert _count_queries(client, one) == _count_queries(client, ten)


def test_one_on_one_slots_take_the_same_number_of_queries_for_one_host_and_ten(owner):
    client = client_for(owner)
    hosts = [owner] + [make_member(owner, "member") for _ in range(9)]
    for membership in hosts:
        make_schedule(membership)
    one = make_meeting_type(owner, title="One")
    ten = make_meeting_type(owner, title="Ten", hosts=hosts)
    _count_queries(client, one)
    assert _count_queries(client, one) == _count_queries(client, ten)


def test_busy_time_with_seconds_still_blocks_the_whole_overlap(owner, intro, monday):
    BusyTime.objects.create(user=owner.user,
                            start=berlin(monday, "10:29") + dt.timedelta(seconds=59.5),
                            end=berlin(monday, "10:30") + dt.timedelta(microseconds=1))
    times = local_times(get_slots(client_for(owner), intro, monday, monday))
    assert "10:00" not in times and "10:30" not in times
    assert "09:30" in times and "11:00" in times


def test_a_daily_limit_hides_nothing_while_nothing_is_booked(owner, monday):
    make_schedule(owner)
    meeting_type = make_meeting_type(owner, daily_limit=1)
    assert len(starts(get_slots(client_for(owner), meeting_type, monday, monday))) == 16
