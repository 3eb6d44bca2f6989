"""The slot benchmark (``bench_slots.py``) again, with every host's external
calendar connected: a feed of 500 events per host (450 single meetings in the
hosts' zones over 62 days from the first day measured, every 25th marked free;
40 weekly series of 12; 10 all-day events) served over HTTP from
127.0.0.1 and read by the same sync the Celery task runs.

Prints the sync of one feed (fetch, parse and expand, store) and, for one host and
a 10-host round robin over 31 days, the slot engine alone, ``GET
/v4/booking-availability`` through gunicorn and through the test client, as
``bench_slots.py`` does, with the load average of the machine before and after.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_slots \\
        .venv/bin/python benchmarks/bench_slots_feed.py [--runs N]
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["WEBHOOK_ALLOW_PRIVATE"] = "1"  # the feeds are served from 127.0.0.1

from benchmarks import bench_slots  # noqa: E402 - sets up the environment first

FEED_EVENTS = 500


def feed_text(rng: random.Random, first_day: dt.date, zone: str) -> str:
    """500 events: 450 meetings of 15-90 minutes, 40 weekly series, 10 all-day events."""
    tz = ZoneInfo(zone)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//EN"]

    def event(uid: str, *props: str) -> None:
        lines.extend(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", *props,
                      "END:VEVENT"])

    def utc(moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    for n in range(450):  # over twice the measured range, so about half fall inside it
        day = first_day + dt.timedelta(days=rng.randrange(2 * bench_slots.DAYS))
        start = dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(
            minutes=15 * rng.randrange(40))
        end = start + dt.timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))
        transp = ["TRANSP:TRANSPARENT"] if n % 25 == 0 else []
        event(f"single-{n}", f"DTSTART:{utc(start)}", f"DTEND:{utc(end)}", "SUMMARY:Meeting",
              *transp)
    for n in range(40):
        day = first_day - dt.timedelta(days=rng.randrange(7))
        start = dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(
            minutes=30 * rng.randrange(18))
        event(f"series-{n}", f"DTSTART:{utc(start)}",
              f"DTEND:{utc(start + dt.timedelta(minutes=30))}", "RRULE:FREQ=WEEKLY;COUNT=12",
              "SUMMARY:Weekly")
    for n in range(10):
        day = first_day + dt.timedelta(days=rng.randrange(bench_slots.DAYS))
        event(f"allday-{n}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}", "SUMMARY:Out of office")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def connect_feeds(owner, server, first_day: dt.date) -> list[float]:
    """Serve and connect a feed for every member of the company; the sync times (ms)."""
    from scheduling.models import AvailabilitySchedule, Membership
    from scheduling.services.calendars import connection_create, connection_sync

    rng = random.Random(20240116)
    times = []
    for membership in Membership.objects.filter(company=owner.company).select_related("user"):
        zone = AvailabilitySchedule.objects.filter(user=membership.user).first().timezone
        url = server.serve(f"/{membership.user.pk}.ics", feed_text(rng, first_day, zone))
        connection = connection_create(company=owner.company, user=membership.user, url=url,
                                       name="Work calendar")
        began = time.perf_counter()
        connection = connection_sync(connection_id=connection.pk)
        times.append((time.perf_counter() - began) * 1000)
        assert connection.last_error == "", connection.last_error
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measurement")
    args = parser.parse_args()
    load_before = os.getloadavg()
    bench_slots.setup_django()
    import requests

    from scheduling.models import BusyTime, CalendarConnection
    from scheduling.services.api_keys import api_key_create
    from tests.calendars.server import ics_server

    today = dt.date.today()
    first_day = today + dt.timedelta(days=7 - today.weekday())  # next Monday
    owner, single, team = bench_slots.build(first_day)
    _, token = api_key_create(company=owner.company, created_by=owner.user, name="bench")
    with ics_server() as server:
        sync_ms = connect_feeds(owner, server, first_day)
    connections = CalendarConnection.objects.filter(company=owner.company)
    stored = sorted(c.busy_count for c in connections)
    print(f"Slots over {bench_slots.DAYS} days from {first_day}: per host "
          f"{bench_slots.BUSY_PER_HOST} busy intervals blocked by hand plus a connected feed "
          f"of {FEED_EVENTS} events ({min(stored)}-{max(stored)} merged busy intervals stored "
          f"per feed, {BusyTime.objects.filter(connection__in=connections).count()} in all); "
          f"{args.runs} runs each.")
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in load_before)}\n")
    print(f"Sync of one feed (HTTP fetch, parse, expand, replace rows): median "
          f"{statistics.median(sync_ms):.0f} ms, max {max(sync_ms):.0f} ms "
          f"over {len(sync_ms)} feeds\n")
    proc, base = bench_slots.start_server()
    try:
        with requests.Session() as session:
            for label, meeting_type, hosts in (("1 host", single, 1),
                                               ("10-host round robin", team, 10)):
                bench_slots.report(label, hosts, meeting_type, first_day, args.runs, session,
                                   base, token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
