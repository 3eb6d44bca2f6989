"""Bookings per second through ``POST /v4/booking`` with 16 concurrent clients on
distinct free slots, beside ``GET /v4/user/me`` requests per second measured in
the same run against the same server (a real gunicorn, rate limit off); then
``GET /v4/booking-availability`` over a host whose month is full of appointments.

Two booking shapes are timed:

- 16 hosts, each client booking its own host's slots (bookings never wait for
  each other's host lock), and
- one host, all 16 clients booking its distinct slots (every booking waits for
  the host lock: the serialised worst case).

Every booking is a full one: host lock, the slot rules on committed data, the
appointment with its hold, attendee, contact upsert and timeline event (crm),
the outbox row, and the automatic-tag task queued on Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_bookings \\
    REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/bench_bookings.py [--per-client 60] [--workers 4]

The database is created (and migrated) when missing; the benchmark company is
rebuilt on every run. Not a test: it prints figures.
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL",
                      "postgres://postgres@127.0.0.1:5432/termin_bench_bookings")
os.environ["API_RATE_LIMIT"] = "0"  # measure bookings, not the limiter

COMPANY_SLUG = "bench-bookings"
CLIENTS = 16
GOAL_RATE, GOAL_RATIO = 100.0, 0.3


def setup_django() -> None:
    from benchmarks.bench_slots import _create_database

    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build():
    """An owner and 15 members, each working around the clock in UTC and hosting a
    15-minute one-on-one meeting type bookable up to a year ahead."""
    from django.db import transaction

    from scheduling.models import Company, User
    from scheduling.services.meeting_types import meeting_type_create
    from scheduling.services.schedules import schedule_create
    from scheduling.services.tenancy import company_create, user_create

    every_day = {day: [{"start": "00:00", "end": "24:00"}] for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    with transaction.atomic():
        old = Company.objects.filter(slug=COMPANY_SLUG).first()
        if old is not None:
            User.objects.filter(memberships__company=old).delete()
            old.delete()
        company, owner_user = company_create(
            name="Bench Bookings", slug=COMPANY_SLUG, owner_email="owner@bench-bookings.test",
            timezone="UTC")
        owner = owner_user.memberships.get(company=company)
        members = [owner] + [
            user_create(company=company, actor=owner, email=f"m{n}@bench-bookings.test",
                        given_name="Member", family_name=str(n))
            for n in range(1, CLIENTS)
        ]
        meeting_types = []
        for index, membership in enumerate(members):
            schedule_create(company=company, user=membership.user, timezone_name="UTC",
                            weekly=every_day, overrides=[])
            meeting_types.append(meeting_type_create(
                company=company, actor=owner, title=f"Call {index}",
                host_ids=[str(membership.user.uuid)], durations=[15], default_duration=15,
                buffer_before=5, buffer_after=10, slot_interval=30))
    return owner, meeting_types


def start_server(workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    import socket

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DB_CONN_MAX_AGE": "600", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/v4/user/me", timeout=30)
            return proc, base
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    proc.terminate()
    sys.exit("gunicorn did not answer")


def run_clients(jobs_per_client: list[list], send) -> tuple[float, list[float], list[int]]:
    """Each client sends its jobs one after another on its own connection; all start
    together. Returns (seconds, latencies in ms, status codes)."""
    import requests

    barrier = threading.Barrier(len(jobs_per_client) + 1)
    latencies, statuses, lock = [], [], threading.Lock()

    def client(jobs):
        mine, codes = [], []
        with requests.Session() as session:
            send(session, jobs[0])  # warm the connection
            barrier.wait()
            for job in jobs[1:]:
                began = time.perf_counter()
                codes.append(send(session, job).status_code)
                mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    with ThreadPoolExecutor(max_workers=len(jobs_per_client)) as pool:
        futures = [pool.submit(client, jobs) for jobs in jobs_per_client]
        barrier.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
        seconds = time.perf_counter() - began
    return seconds, latencies, statuses


def summary(label: str, seconds: float, latencies: list[float], statuses: list[int]) -> float:
    rate = len(latencies) / seconds
    ordered = sorted(latencies)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    ok = sum(1 for s in statuses if s < 300)
    print(f"  {label:<34} {rate:7.1f} /s   median {statistics.median(ordered):6.1f} ms   "
          f"p95 {p95:6.1f} ms   ({ok}/{len(statuses)} succeeded)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-client", type=int, default=60, help="bookings per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    setup_django()
    import redis
    from django.conf import settings

    from scheduling.models import Appointment
    from scheduling.services.api_keys import api_key_create

    owner, meeting_types = build()
    _, token = api_key_create(company=owner.company, created_by=owner.user, name="bench")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    first = dt.datetime.combine(dt.date.today() + dt.timedelta(days=2), dt.time(0), dt.UTC)
    n = args.per_client + 1  # +1: the warm-up request

    def book(session, job):
        meeting_type, start, i = job
        return session.post(f"{base}/v4/booking", headers=headers, timeout=60, json={
            "meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
            "attendee": {"email": f"client{i}@bench.test", "fullname": f"Client {i}",
                         "notes": {"utm_source": "bench"}}})

    def me(session, _job):
        return session.get(f"{base}/v4/user/me", headers=headers, timeout=60)

    load_before = os.getloadavg()
    print(f"{CLIENTS} concurrent clients, gunicorn {args.workers} workers x {args.threads} "
          f"threads, {os.cpu_count()} CPUs, load average before: "
          f"{' '.join(f'{x:.2f}' for x in load_before)}\n")
    proc, base = start_server(args.workers, args.threads)
    try:
        trivial = summary("GET /v4/user/me", *run_clients(
            [[None] * (4 * n) for _ in range(CLIENTS)], me))
        slot = dt.timedelta(minutes=30)
        own_host = [[(meeting_types[c], first + k * slot, c * 10000 + k) for k in range(n)]
                    for c in range(CLIENTS)]
        spread = summary("POST /v4/booking, 16 hosts", *run_clients(own_host, book))
        shared = [[(meeting_types[0], first + dt.timedelta(days=60) + (k * CLIENTS + c) * slot,
                    500000 + k * CLIENTS + c) for k in range(n)] for c in range(CLIENTS)]
        one_host = summary("POST /v4/booking, 1 host", *run_clients(shared, book))
        again = summary("GET /v4/user/me (again)", *run_clients(
            [[None] * (4 * n) for _ in range(CLIENTS)], me))
        load_after = os.getloadavg()
        print(f"\n  bookings/s vs user/me: 16 hosts {spread / trivial:.2f}, one host "
              f"{one_host / trivial:.2f} (goal >= {GOAL_RATE:.0f}/s and >= {GOAL_RATIO}); "
              f"user/me {trivial:.0f}/s then {again:.0f}/s")
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
        print(f"  appointments in the database: {Appointment.objects.count()}\n")
        slots_with_appointments(base, headers, meeting_types[0], first)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        # The automatic-tag tasks queued for a worker that never ran.
        if settings.REDIS_URL:
            redis.Redis.from_url(settings.REDIS_URL).delete("celery")


def slots_with_appointments(base, headers, meeting_type, first) -> None:
    """Slots of the one-host meeting type over 31 days, its appointments included."""
    import requests

    from scheduling.models import AppointmentHost

    start = (first + dt.timedelta(days=59)).date()
    params = {"meetingTypeId": str(meeting_type.uuid), "start": str(start),
              "end": str(start + dt.timedelta(days=30))}
    held = AppointmentHost.objects.filter(
        host__in=meeting_type.hosts.all(), active=True,
        start__gte=dt.datetime.combine(start, dt.time(0), dt.UTC),
        start__lt=dt.datetime.combine(start + dt.timedelta(days=31), dt.time(0), dt.UTC)).count()
    samples = []
    with requests.Session() as session:
        for index in range(110):
            began = time.perf_counter()
            response = session.get(f"{base}/v4/booking-availability", params=params,
                                   headers=headers, timeout=60)
            if index >= 10:
                samples.append((time.perf_counter() - began) * 1000)
    ordered = sorted(samples)
    print(f"Slots over 31 days of the one host with {held} appointments in the range "
          f"({len(response.json()['availableSlots'])} free slots, 30-minute steps):")
    print(f"  GET /v4/booking-availability median {statistics.median(ordered):.1f} ms, "
          f"p95 {ordered[round(0.95 * (len(ordered) - 1))]:.1f} ms ({len(ordered)} runs)")


if __name__ == "__main__":
    main()
