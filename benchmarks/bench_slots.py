"""Slots over 31 days with 500 busy intervals per host: one host, and a 10-host
round robin. Prints median and 95th percentile of

- the slot engine alone (``scheduling.slots.compute_slots`` on plain values), and
- ``GET /v4/booking-availability`` through HTTP against a real gunicorn (one
  worker, rate limit off) reading the same data from PostgreSQL,

and checks, in the same run, that the engine's slots equal those of the simple
reference (``benchmarks/slot_engine_reference.py``) and that HTTP answers the
same slots.

With ``--limits`` the meeting types carry booking limits (one booking of the
meeting type per host and day, three bookings per host and week, 600 minutes per
host and month) and every host holds a 30-minute appointment over lunch on every
third day, which those limits count: the figures show what limits cost, and the
engine's ``explain_slots`` (``troubleshoot=true``) is timed too.

The busy time is stored as ``BusyTime`` rows (what occupies a host besides
appointments: time blocked by hand or read from a calendar), which the slots
selector reads exactly as it will read appointments, one query per kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_slots \\
        .venv/bin/python benchmarks/bench_slots.py [--runs N]

The database is created (and migrated) when it does not exist; the benchmark
company is rebuilt on every run. Not a test: it prints figures and asserts nothing
beyond the output comparison.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import create_database as _create_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/termin_bench_slots")
os.environ["API_RATE_LIMIT"] = "0"  # measure slots, not the limiter

COMPANY_SLUG = "bench-slots"
BUSY_PER_HOST = 500
DAYS = 31
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe")
GOALS = {"engine": {1: 5.0, 10: 20.0}, "http": {1: 25.0, 10: 80.0}}  # ms, median / p95
LIMITS = [{"scope": "meetingType", "period": "day", "max": 1},
          {"scope": "host", "period": "week", "max": 3},
          {"scope": "host", "period": "month", "max": 600, "unit": "minutes"}]


def setup_django() -> None:
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- data --------------------------------------------------------------------------


def build(first_day: dt.date, limits: bool = False):
    """The benchmark company: an owner and 9 members, each with a weekday schedule
    (zones vary, a DST zone with 30-minute shifts among them) and 500 busy
    intervals within the 31 days; a one-on-one meeting type for the owner and a
    round robin over all ten."""
    from django.db import transaction

    from scheduling.models import BusyTime, Company, User
    from scheduling.services.meeting_types import meeting_type_create, meeting_type_update
    from scheduling.services.queues import queue_create
    from scheduling.services.schedules import schedule_create
    from scheduling.services.tenancy import company_create, user_create

    with transaction.atomic():
        old = Company.objects.filter(slug=COMPANY_SLUG).first()
        if old is not None:
            User.objects.filter(memberships__company=old).delete()
            old.delete()
        company, owner_user = company_create(
            name="Bench Slots", slug=COMPANY_SLUG, owner_email="owner@bench-slots.test",
            timezone="Europe/Berlin")
        owner = owner_user.memberships.get(company=company)
        members = [owner] + [
            user_create(company=company, actor=owner, email=f"m{n}@bench-slots.test",
                        given_name="Member", family_name=str(n))
            for n in range(1, 10)
        ]
        rng = random.Random(20240115)
        weekly = {day: [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
                  for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
        busy = []
        for index, membership in enumerate(members):
            zone = ZONES[index % len(ZONES)]
            schedule_create(
                company=company, user=membership.user, timezone_name=zone, weekly=weekly,
                overrides=[{"date": str(first_day + dt.timedelta(days=9)), "intervals": []}],
            )
            busy += _busy(rng, membership.user, first_day, zone)
        BusyTime.objects.bulk_create(busy, batch_size=2000)
        rules = {"durations": [30, 60], "default_duration": 30, "slot_interval": 15,
                 "buffer_before": 5, "buffer_after": 10}
        single = meeting_type_create(company=company, actor=owner, title="One host",
                                     host_ids=[str(owner.user.uuid)], **rules)
        queue = queue_create(company=company, actor=owner, name="Ten", kind="round_robin",
                             member_ids=[str(m.user.uuid) for m in members])
        team = meeting_type_create(company=company, actor=owner, title="Ten hosts",
                                   queue_id=str(queue.uuid), **rules)
        if limits:
            for meeting_type in (single, team):
                meeting_type_update(meeting_type=meeting_type, actor=owner, booking_limits=LIMITS)
            _lunch_appointments(company, members, single, team, first_day)
    return owner, single, team


def _lunch_appointments(company, members, single, team, first_day: dt.date) -> None:
    """A 30-minute appointment at 12:00 local (outside the hours, so it is no busy
    time the slots would meet) every third day for each host, which the limits count."""
    from zoneinfo import ZoneInfo

    from scheduling.models import Appointment, AppointmentHost

    for index, membership in enumerate(members):
        tz = ZoneInfo(ZONES[index % len(ZONES)])
        meeting_type = single if index == 0 else team
        for day in range(0, DAYS, 3):
            start = dt.datetime.combine(first_day + dt.timedelta(days=day), dt.time(12), tz)
            end = start + dt.timedelta(minutes=30)
            appointment = Appointment.objects.create(
                company=company, meeting_type=meeting_type, start=start, end=end,
                room_token=f"bench-{index}-{day}", secret_digest="-", status="confirmed")
            AppointmentHost.objects.create(appointment=appointment, host=membership.user,
                                           start=start, end=end)


def _busy(rng, user, first_day: dt.date, zone: str) -> list:
    """500 appointment-like intervals of 15-90 minutes inside working hours."""
    from zoneinfo import ZoneInfo

    from scheduling.models import BusyTime

    tz = ZoneInfo(zone)
    rows = []
    for _ in range(BUSY_PER_HOST):
        day = first_day + dt.timedelta(days=rng.randrange(DAYS))
        start = dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(
            minutes=5 * rng.randrange(12 * 10))
        rows.append(BusyTime(user=user, start=start,
                             end=start + dt.timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))))
    return rows


# --- measurements -----------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def engine_inputs(meeting_type, first_day: dt.date) -> dict:
    """The engine's plain inputs, loaded by the same selector the API uses."""
    from scheduling import selectors

    return selectors.slot_query(
        meeting_type=meeting_type, start=first_day, end=first_day + dt.timedelta(days=DAYS - 1)
    ).engine_kwargs()


def time_engine(inputs: dict, runs: int) -> tuple[list, list[float]]:
    from scheduling.slots import compute_slots

    samples, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = compute_slots(**inputs)
        samples.append((time.perf_counter() - began) * 1000)
    return result, samples


def time_reference(inputs: dict) -> tuple[list, float]:
    from benchmarks.slot_engine_reference import compute_slots as reference

    began = time.perf_counter()
    result = reference(**inputs)
    return result, (time.perf_counter() - began) * 1000


def start_server() -> tuple[subprocess.Popen, str]:
    import socket

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DB_CONN_MAX_AGE": "600", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "1", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/spec/v2/openapi.json", timeout=30)
            return proc, base
        except (requests.ConnectionError, requests.Timeout):  # a busy machine starts slowly
            time.sleep(0.1)
    proc.terminate()
    sys.exit("gunicorn did not answer")


def time_http(session, base: str, token: str, meeting_type, first_day: dt.date,
              runs: int) -> tuple[dict, list[float]]:
    params = {"meetingTypeId": str(meeting_type.uuid), "start": str(first_day),
              "end": str(first_day + dt.timedelta(days=DAYS - 1))}
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/v4/booking-availability"
    for _ in range(10):  # warm up: imports, connections, caches
        body = session.get(url, params=params, headers=headers, timeout=30).json()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = session.get(url, params=params, headers=headers, timeout=30)
        body = response.json()
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, body
    return body, samples


def time_in_process(token: str, meeting_type, first_day: dt.date, runs: int
                    ) -> tuple[list[float], list[float]]:
    """The same request through Django's test client: wall and CPU time of this
    process, which shows the cost apart from contention with other processes."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    params = {"meetingTypeId": str(meeting_type.uuid), "start": str(first_day),
              "end": str(first_day + dt.timedelta(days=DAYS - 1))}
    for _ in range(10):
        client.get("/v4/booking-availability", params)
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get("/v4/booking-availability", params)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return wall, cpu


def same_slots(http_body: dict, slots: list) -> bool:
    got = [(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
           for s in http_body["availableSlots"]]
    return got == [(slot.start, slot.end) for slot in slots]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measurement")
    parser.add_argument("--limits", action="store_true",
                        help="booking limits on both meeting types, with appointments to count")
    args = parser.parse_args()
    setup_django()
    import requests

    from scheduling.services.api_keys import api_key_create

    today = dt.date.today()
    first_day = today + dt.timedelta(days=7 - today.weekday())  # next Monday
    owner, single, team = build(first_day, limits=args.limits)
    _, token = api_key_create(company=owner.company, created_by=owner.user, name="bench")
    print(f"Slots over {DAYS} days from {first_day}, {BUSY_PER_HOST} busy intervals per host, "
          f"30 min every 15 min, buffers 5/10 min; {args.runs} runs each"
          f"{'; with booking limits' if args.limits else ''}.\n")
    proc, base = start_server()
    try:
        with requests.Session() as session:
            for label, meeting_type, hosts in (("1 host", single, 1),
                                               ("10-host round robin", team, 10)):
                report(label, hosts, meeting_type, first_day, args.runs, session, base, token,
                       explain=args.limits)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def report(label, hosts, meeting_type, first_day, runs, session, base, token,
           explain: bool = False) -> None:
    inputs = engine_inputs(meeting_type, first_day)
    slots, engine_ms = time_engine(inputs, runs)
    reference_slots, reference_ms = time_reference(inputs)
    body, http_ms = time_http(session, base, token, meeting_type, first_day, runs)
    wall_ms, cpu_ms = time_in_process(token, meeting_type, first_day, runs)
    e_med, e_p95 = percentiles(engine_ms)
    h_med, h_p95 = percentiles(http_ms)
    w_med, w_p95 = percentiles(wall_ms)
    c_med, c_p95 = percentiles(cpu_ms)
    print(f"{label}: {len(slots)} slots, {sum(len(h.busy) for h in inputs['hosts'])} busy")
    print(f"  engine alone    median {e_med:6.2f} ms  p95 {e_p95:6.2f} ms  "
          f"(goal <= {GOALS['engine'][hosts]} ms)")
    print(f"  HTTP (gunicorn) median {h_med:5.2f} ms  p95 {h_p95:6.2f} ms  "
          f"(goal p95 <= {GOALS['http'][hosts]} ms)")
    print(f"  test client     median {w_med:6.2f} ms  p95 {w_p95:6.2f} ms  "
          f"(CPU of the request: median {c_med:.2f} ms, p95 {c_p95:.2f} ms)")
    print(f"  reference engine {reference_ms:8.1f} ms once; output identical: "
          f"{slots == reference_slots}; HTTP answers the same slots: {same_slots(body, slots)}")
    if explain:
        time_explain(inputs, slots, runs)
    print()


def time_explain(inputs: dict, slots: list, runs: int) -> None:
    """The engine's troubleshoot pass over the same inputs: its time, and whether its
    slots are the engine's."""
    from scheduling.slots import explain_slots

    samples, explained = [], None
    for _ in range(max(1, runs // 10)):
        began = time.perf_counter()
        explained = explain_slots(**inputs)
        samples.append((time.perf_counter() - began) * 1000)
    median, p95 = percentiles(samples)
    limited = sum(1 for r in explained.refused if r.reasons[0].reason == "limit")
    print(f"  explain_slots   median {median:6.2f} ms  p95 {p95:6.2f} ms  "
          f"({len(explained.refused)} refused times, {limited} by a limit; "
          f"same slots: {explained.slots == slots})")


if __name__ == "__main__":
    main()
