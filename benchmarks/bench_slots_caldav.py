"""The slot benchmark (``bench_slots.py``) again, with every host's CalDAV account
connected: one calendar per host holding the same 500 events as
``bench_slots_feed.py``'s feeds, on a real Radicale on 127.0.0.1, read live when
slots are asked for.

Prints the periodic sync of one connection (discovery, then the 180-day read),
then for one host and a 10-host round robin over 31 days ``GET
/v4/booking-availability`` through gunicorn:

* warm: every host's calendar was read within ``CALDAV_CACHE_SECONDS``, so the
  slots come from the stored busy time (what most requests see);
* cold, event query: gunicorn runs with ``CALDAV_CACHE_SECONDS=0``, so every
  request reads every host's calendar live (the calendar receives bookings, so
  it is read by event query and expanded here);
* cold, free-busy query: the same with no calendar receiving bookings, so the
  server answers a free-busy query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_slots \\
        .venv/bin/python benchmarks/bench_slots_caldav.py [--runs N]
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["WEBHOOK_ALLOW_PRIVATE"] = "1"  # the CalDAV server is on 127.0.0.1

from benchmarks import bench_slots  # noqa: E402 - sets up the environment first
from benchmarks.bench_slots_feed import FEED_EVENTS, feed_text  # noqa: E402


def connect_accounts(owner, server, first_day: dt.date) -> list:
    """An account on ``server`` with the feed benchmark's events for every member of
    the company, connected to them; the connections."""
    from scheduling.models import AvailabilitySchedule, Membership
    from scheduling.services import caldav

    rng = random.Random(20240116)
    connections = []
    for membership in Membership.objects.filter(company=owner.company).select_related("user"):
        zone = AvailabilitySchedule.objects.filter(user=membership.user).first().timezone
        username, password = server.account()
        server.upload_calendar(username, "work", feed_text(rng, first_day, zone))
        connections.append(caldav.connection_create(
            company=owner.company, user=membership.user, url=server.url, username=username,
            password=password, name="Work calendar"))
    return connections


def time_server(server, connection, first_day: dt.date, runs: int = 20) -> list[float]:
    """Radicale alone: the 31-day event query one cold read sends, through plain
    requests (no Termin code), so its part of a cold read shows apart."""
    import requests

    from scheduling.services.caldav import account_of

    account = account_of(connection)
    url = connection.caldav_calendars.get().url
    start, end = (f"{day:%Y%m%d}T000000Z" for day in (first_day, first_day + dt.timedelta(
        days=bench_slots.DAYS + 1)))
    body = ('<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter>'
            '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter>'
            '</C:filter></C:calendar-query>')
    samples = []
    with requests.Session() as session:
        session.auth = (account.username, account.password)
        for _ in range(runs):
            began = time.perf_counter()
            answer = session.request("REPORT", url, data=body, headers={
                "Depth": "1", "Content-Type": "application/xml"})
            samples.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 207, answer.status_code
    return samples


def time_syncs(connections) -> list[float]:
    from scheduling.services import caldav

    times = []
    for connection in connections:
        began = time.perf_counter()
        synced = caldav.connection_sync(connection=connection)
        times.append((time.perf_counter() - began) * 1000)
        assert synced.last_error == "", synced.last_error
    return times


def measure(label: str, cases, runs: int, token: str, first_day: dt.date, **env) -> None:
    """Slots through a gunicorn started with ``env``, per case; median and p95."""
    import requests

    os.environ.update(env)
    proc, base = bench_slots.start_server()
    try:
        with requests.Session() as session:
            for case, meeting_type in cases:
                body, samples = bench_slots.time_http(session, base, token, meeting_type,
                                                      first_day, runs)
                median, p95 = bench_slots.percentiles(samples)
                print(f"  {label:<26} {case:<20} median {median:7.2f} ms  p95 {p95:7.2f} ms  "
                      f"({len(body['availableSlots'])} slots)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for name in env:
            os.environ.pop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="timed runs per measurement")
    args = parser.parse_args()
    load_before = os.getloadavg()
    bench_slots.setup_django()
    from scheduling.models import BusyTime, CalDAVCalendar
    from scheduling.services.api_keys import api_key_create
    from tests.calendars.radicale import radicale_server

    today = dt.date.today()
    first_day = today + dt.timedelta(days=7 - today.weekday())  # next Monday
    owner, single, team = bench_slots.build(first_day)
    _, token = api_key_create(company=owner.company, created_by=owner.user, name="bench")
    cases = (("1 host", single), ("10-host round robin", team))
    with radicale_server() as server:
        connections = connect_accounts(owner, server, first_day)
        sync_ms = time_syncs(connections)
        stored = BusyTime.objects.filter(connection__in=connections).count()
        print(f"Slots over {bench_slots.DAYS} days from {first_day}: per host "
              f"{bench_slots.BUSY_PER_HOST} busy intervals blocked by hand plus a CalDAV "
              f"calendar of {FEED_EVENTS} events on Radicale ({stored} merged busy intervals "
              f"stored in all); {args.runs} runs each.")
        print(f"Load average before: {' '.join(f'{x:.2f}' for x in load_before)}\n")
        print(f"Sync of one connection (discovery, 180-day event query, expand, store): "
              f"median {statistics.median(sync_ms):.0f} ms, max {max(sync_ms):.0f} ms over "
              f"{len(sync_ms)} connections\n")
        server_ms = time_server(server, connections[0], first_day)
        print(f"Radicale alone, the 31-day event query of one calendar (plain requests): "
              f"median {statistics.median(server_ms):.0f} ms, max {max(server_ms):.0f} ms\n")
        print("GET /v4/booking-availability through gunicorn (1 worker, 1 thread):")
        measure("warm (read within a minute)", cases, args.runs, token, first_day)
        measure("cold, event query", cases, args.runs, token, first_day,
                CALDAV_CACHE_SECONDS="0")
        CalDAVCalendar.objects.filter(connection__in=connections).update(
            receives_bookings=False)
        measure("cold, free-busy query", cases, args.runs, token, first_day,
                CALDAV_CACHE_SECONDS="0")
        free_busy = CalDAVCalendar.objects.filter(connection__in=connections, free_busy=True)
        print(f"  (calendars read by free-busy query: {free_busy.count()} of "
              f"{len(connections)})")
    print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
