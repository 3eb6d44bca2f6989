"""No double booking under any race, through the whole HTTP stack.

A real gunicorn with several worker processes serves the test database; many
clients fire at once (released together by a barrier), each on its own
connection. It runs on both databases: on PostgreSQL the guarantee is the
exclusion constraint plus the host locks, both exercised; on SQLite, writers take
turns (every transaction begins IMMEDIATE), so each booking checks and writes alone.
"""

import datetime as dt
import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import IntegrityError, connection, transaction

from scheduling.choices import QueueKind
from scheduling.core.errors import DomainError
from scheduling.models import Appointment, AppointmentHost
from scheduling.services import bookings, one_time_links, rules
from scheduling.services.api_keys import api_key_create
from scheduling.services.queues import queue_create
from tests.conftest import make_company, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
from tests.support.processes import ROOT, child_env, free_port, stop, wait_for_http

SLOT_TAKEN = "The selected time slot is no longer available"

@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """gunicorn with 4 worker processes of 8 threads each on the test database."""
    with django_db_blocker.unblock():
        env = child_env(API_RATE_LIMIT="0")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--threads", "8", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        yield base
    finally:
        stop(proc)


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC).isoformat()


def all_at_once(count: int, send) -> list[requests.Response]:
    """Call ``send(i, session)`` from ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def one(i):
        with requests.Session() as session:  # one connection per client
            barrier.wait()
            return send(i, session)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def headers(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **extra}


def body(meeting_type, start: str, i: int) -> dict:
    return {"meetingTypeId": str(meeting_type.uuid), "start": start,
            "attendee": {"email": f"racer{i}@client.test", "fullname": f"Racer {i}"}}


@pytest.fixture
def setup(transactional_db):
    company, owner = make_company()
    make_schedule(owner, timezone="UTC", is_default=True)
    _, token = api_key_create(company=company, created_by=owner.user)
    return owner, token


def test_fifty_concurrent_bookings_of_one_slot_make_exactly_one_appointment(server, setup):
    owner, token = setup
    meeting_type = make_meeting_type(owner)
    start = at(monday_after(7), 10)

    responses = all_at_once(50, lambda i, s: s.post(
        f"{server}/v4/booking", json=body(meeting_type, start, i), headers=headers(token),
        timeout=60))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * 49
    for refused in (r for r in responses if r.status_code == 400):
        assert refused.json() == {"statusCode": 400, "message": SLOT_TAKEN,
                                  "error": "Bad Request",
                                  "errors": [{"field": "start", "message": SLOT_TAKEN}]}
    assert Appointment.objects.count() == 1
    assert AppointmentHost.objects.filter(active=True).count() == 1


def test_fifty_concurrent_bookings_of_a_ten_member_round_robin_slot_use_each_member_once(
        server, setup):
    owner, token = setup
    members = [make_member(owner) for _ in range(10)]
    for member in members:
        make_schedule(member, timezone="UTC", is_default=True)
    queue = queue_create(company=owner.company, actor=owner, name="Sales",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(m.user.uuid) for m in members])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid))
    start = at(monday_after(7), 10)

    responses = all_at_once(50, lambda i, s: s.post(
        f"{server}/v4/booking", json=body(meeting_type, start, i), headers=headers(token),
        timeout=60))

    assert sorted(r.status_code for r in responses) == [201] * 10 + [400] * 40
    assert {r.json()["message"] for r in responses if r.status_code == 400} == {SLOT_TAKEN}
    hosts = list(AppointmentHost.objects.values_list("host_id", flat=True))
    assert len(hosts) == 10
    assert set(hosts) == {m.user.pk for m in members}
    assert Appointment.objects.count() == 10


def test_concurrent_reschedules_onto_one_free_slot_leave_exactly_one_there(server, setup):
    owner, token = setup
    meeting_type = make_meeting_type(owner)
    day = monday_after(7)
    ids = []
    for hour, minute in [(h, m) for h in range(9, 14) for m in (0, 30)][:10]:
        result = bookings.booking_create(
            company=owner.company, meeting_type=meeting_type,
            start=dt.datetime.fromisoformat(at(day, hour, minute)),
            attendee=bookings.AttendeeInput(email=f"a{hour}{minute}@x.test", first_name="A"))
        ids.append(str(result.appointment.uuid))
    target = at(day, 15)

    responses = all_at_once(len(ids), lambda i, s: s.patch(
        f"{server}/v4/appointment/{ids[i]}", json={"start": target}, headers=headers(token),
        timeout=60))

    assert sorted(r.status_code for r in responses) == [200] + [400] * 9
    assert {r.json()["message"] for r in responses if r.status_code == 400} == {SLOT_TAKEN}
    there = Appointment.objects.filter(start=dt.datetime.fromisoformat(target))
    assert there.count() == 1
    assert Appointment.objects.count() == 10  # the others stayed where they were
    assert AppointmentHost.objects.filter(active=True).count() == 10


def test_twenty_concurrent_bookings_of_a_day_with_a_limit_of_two_make_exactly_two(
        server, setup):
    owner, token = setup
    meeting_type = make_meeting_type(owner, booking_limits=[
        {"scope": "meetingType", "period": "day", "max": 2}])
    day = monday_after(7)
    starts = [at(day, 9 + i // 2, 30 * (i % 2)) for i in range(16)]  # 16 distinct free times

    responses = all_at_once(16, lambda i, s: s.post(
        f"{server}/v4/booking", json=body(meeting_type, starts[i], i), headers=headers(token),
        timeout=60))

    assert sorted(r.status_code for r in responses) == [201] * 2 + [400] * 14
    messages = {r.json()["message"] for r in responses if r.status_code == 400}
    assert messages <= {"Booking limit reached: 2 bookings per day of this meeting type for "
                        "this host", SLOT_TAKEN}
    assert Appointment.objects.count() == 2


def test_concurrent_bookings_with_one_email_over_a_round_robin_make_exactly_one(
        server, setup):
    owner, token = setup
    members = [make_member(owner) for _ in range(4)]
    for member in members:
        make_schedule(member, timezone="UTC", is_default=True)
    queue = queue_create(company=owner.company, actor=owner, name="Desk",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(m.user.uuid) for m in members])
    meeting_type = make_meeting_type(owner, queue_id=str(queue.uuid), booking_limits=[
        {"scope": "attendeeEmail", "period": "week", "max": 1}])
    day = monday_after(7)
    starts = [at(day + dt.timedelta(days=i % 5), 9 + i // 5) for i in range(12)]

    def send(i, session):
        same = {**body(meeting_type, starts[i], i),
                "attendee": {"email": "once@client.test", "fullname": "Once Only"}}
        return session.post(f"{server}/v4/booking", json=same, headers=headers(token),
                            timeout=60)

    responses = all_at_once(12, send)

    assert sorted(r.status_code for r in responses) == [201] + [400] * 11
    assert {r.json()["errors"][0]["field"] for r in responses
            if r.status_code == 400} == {"attendee.email"}
    assert Appointment.objects.count() == 1


def test_ten_concurrent_replays_of_one_idempotency_key_make_one_booking(server, setup):
    owner, token = setup
    meeting_type = make_meeting_type(owner)
    payload = json.dumps(body(meeting_type, at(monday_after(7), 10), 0))

    responses = all_at_once(10, lambda i, s: s.post(
        f"{server}/v4/booking", data=payload, timeout=60,
        headers=headers(token, **{"Idempotency-Key": "book-once"})))

    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert Appointment.objects.count() == 1
    assert responses[0].json()["appointmentId"] == str(Appointment.objects.get().uuid)


def test_the_constraint_alone_refuses_racing_bookings_that_skip_the_lock(setup, monkeypatch):
    """Without the host lock every request may pass the check; the exclusion
    constraint (on SQLite, the writers' turns) still lets exactly one insert through."""
    owner, _ = setup
    meeting_type = make_meeting_type(owner)
    start = dt.datetime.fromisoformat(at(monday_after(7), 10))
    # Read the hosts without locking them.
    monkeypatch.setattr(rules, "lock_hosts", lambda users: list(users.order_by("pk")))
    barrier = threading.Barrier(12)

    def one(i):
        try:
            barrier.wait()
            bookings.booking_create(
                company=owner.company, meeting_type=meeting_type, start=start,
                attendee=bookings.AttendeeInput(email=f"r{i}@x.test", first_name="R"))
            return "booked"
        except DomainError as exc:
            return exc.message
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(12)))

    assert sorted(outcomes) == [SLOT_TAKEN] * 11 + ["booked"]
    assert AppointmentHost.objects.filter(active=True).count() == 1


@pytest.mark.postgresql(reason="the exclusion constraint needs PostgreSQL's btree_gist; "
                        "SQLite serialises bookings instead, as the races above show")
def test_the_database_refuses_overlapping_active_holds_of_one_host(setup):
    owner, _ = setup
    meeting_type = make_meeting_type(owner)
    start = dt.datetime.fromisoformat(at(monday_after(7), 10))
    first = bookings.booking_create(
        company=owner.company, meeting_type=meeting_type, start=start,
        attendee=bookings.AttendeeInput(email="a@x.test", first_name="A")).appointment
    clash = Appointment.objects.create(
        company=owner.company, start=start + dt.timedelta(minutes=10),
        end=start + dt.timedelta(minutes=40), room_token="clash", secret_digest="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentHost.objects.create(appointment=clash, host=owner.user,
                                       start=clash.start, end=clash.end)
    # Touching is no overlap, and inactive holds (cancelled, expired) never clash.
    AppointmentHost.objects.create(appointment=clash, host=owner.user, start=first.end,
                                   end=first.end + dt.timedelta(minutes=30))
    AppointmentHost.objects.filter(appointment=first).update(active=False)
    AppointmentHost.objects.filter(appointment=clash).update(start=clash.start)


def test_ten_concurrent_bookings_through_one_one_time_link_make_exactly_one(server, setup):
    """Each racer books a different free time through the same link's page, so only
    the link's claim (a conditional UPDATE in the booking's transaction) can refuse."""
    owner, _token = setup
    meeting_type = make_meeting_type(owner)
    link = one_time_links.one_time_link_create(meeting_type=meeting_type, actor=owner)
    day = monday_after(7)
    sessions = [requests.Session() for _ in range(10)]
    forms = []
    for i, session in enumerate(sessions):
        start = at(day, 9 + i // 2, 30 * (i % 2))
        page = session.get(f"{server}/1t/{link.token}/book",
                           params={"start": start, "tz": "UTC"}, timeout=30).text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        forms.append({"csrfmiddlewaretoken": csrf, "start": start, "tz": "UTC",
                      "duration": "30", "name": f"Racer {i}", "email": f"racer{i}@client.test",
                      "channel": "connect"})
    barrier = threading.Barrier(len(sessions))

    def one(i):
        barrier.wait()
        return sessions[i].post(f"{server}/1t/{link.token}/book", data=forms[i],
                                allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        responses = list(pool.map(one, range(len(sessions))))
    for session in sessions:
        session.close()

    assert sorted(r.status_code for r in responses) == [302] + [410] * 9
    assert all("already been used" in r.text for r in responses if r.status_code == 410)
    assert Appointment.objects.count() == 1
    link.refresh_from_db()
    assert link.appointment_id == Appointment.objects.get().pk
