"""Webhook delivery through real Celery workers to a local receiver.

Prints, from one run with the same worker process throughout:

1. Celery's own rate for a no-op task (``celery.accumulate``) with the worker
   draining a pre-filled queue: the ceiling any task can reach here.
2. Deliveries per second: events emitted (committed) while the worker's consumer
   is paused, then drained; counted at the receiver, first to last receipt.
3. Commit-to-receipt latency (median, p95, max) at a fixed offered rate: one event
   per transaction at ``--rate`` events/s for ``--seconds``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_wh \\
    REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python benchmarks/bench_webhooks.py [--events N] [--rate R] [--seconds S]

The database is migrated; the Redis database is flushed first (use one of your
own). The receiver is an ``http.server`` on 127.0.0.1 in this process. Not a
test: it prints figures and asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WEBHOOK_ALLOW_PRIVATE"] = "1"
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

import benchmarks.common  # noqa: E402, F401 - a throwaway SECRET_KEY before Django starts

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from benchmarks.common import create_database  # noqa: E402
from config.celery import app  # noqa: E402
from tests.webhooks.receiver import running_receiver  # noqa: E402
from webhooks.models import OutboxEvent  # noqa: E402
from webhooks.services.endpoints import endpoint_create  # noqa: E402
from webhooks.services.outbox import emit  # noqa: E402

QUEUE = "celery"


def start_worker(concurrency: int) -> subprocess.Popen:
    env = dict(os.environ, DB_CONN_MAX_AGE="600", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker",
         "--loglevel=ERROR", f"--concurrency={concurrency}", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"bench-{os.getpid()}@%h"],
        cwd=ROOT, env=env,
    )


def wait_for_worker(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise TimeoutError("the worker did not answer")


def pause_consumer() -> None:
    app.control.cancel_consumer(QUEUE, reply=True, timeout=5)


def resume_consumer() -> None:
    app.control.add_consumer(QUEUE, reply=True, timeout=5)


def backlog(client: redis.Redis) -> int:
    return client.llen(QUEUE) + client.hlen("unacked")


def noop_rate(client: redis.Redis, count: int) -> float:
    pause_consumer()
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            app.send_task("celery.accumulate", args=(1,), producer=producer)
    started = time.monotonic()
    resume_consumer()
    while backlog(client):
        time.sleep(0.002)
    return count / (time.monotonic() - started)


def company_and_endpoint(url: str):
    from scheduling.services.tenancy import company_create

    company, _ = company_create(name="Bench", owner_email=f"bench-{time.time_ns()}@bench.test")
    endpoint = endpoint_create(company=company, url=url, events=["booking_created"])
    return company, endpoint


def emit_one(company, n: int, committed: dict) -> None:
    with transaction.atomic():
        holder = {}
        # Registered before emit's own callback, so it runs first: the commit time.
        transaction.on_commit(lambda: committed.__setitem__(holder["id"], time.monotonic()))
        event = emit(company, "booking_created", {"id": f"appt-{n}", "n": n})
        holder["id"] = event.webhook_id


def delivery_rate(company, receiver, count: int) -> float:
    before = len(receiver.requests)
    pause_consumer()
    for n in range(count):
        emit_one(company, n, {})
    resume_consumer()
    receiver.wait_for(before + count, timeout=600)
    stamps = sorted(r.received_at for r in receiver.requests[before:])
    return (count - 1) / (stamps[-1] - stamps[0])


def latency(company, receiver, rate: float, seconds: float, emitters: int) -> list[float]:
    """Offer ``rate`` events/s, one per transaction, from a few threads (one commit
    takes milliseconds, so one thread alone could not keep the pace)."""
    committed: dict[str, float] = {}
    before = len(receiver.requests)
    total = int(rate * seconds)
    start = time.monotonic() + 0.5

    def emit_at(n: int) -> None:
        wait = start + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        emit_one(company, n, committed)

    with ThreadPoolExecutor(max_workers=emitters) as pool:
        list(pool.map(emit_at, range(total)))
    achieved = total / (time.monotonic() - start)
    receiver.wait_for(before + total, timeout=600)
    received = {r.webhook_id: r.received_at for r in receiver.requests[before:]}
    print(f"   offered {rate:.0f} events/s, achieved {achieved:.1f} events/s")
    return sorted((received[key] - committed[key]) * 1000 for key in committed)


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000, help="events for the rate")
    parser.add_argument("--noops", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="worker processes; delivery waits on the network and the database")
    parser.add_argument("--emitters", type=int, default=4, help="threads offering events")
    args = parser.parse_args()

    create_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    app.conf.task_always_eager = False
    worker = start_worker(args.concurrency)
    try:
        wait_for_worker()
        with running_receiver() as receiver:
            company, _ = company_and_endpoint(receiver.url)
            emit_one(company, -1, {})  # warm up connections in the worker
            receiver.wait_for(1)
            print(f"worker: prefork, concurrency {args.concurrency}; "
                  f"database {settings.DATABASES['default']['NAME']}")
            noop = noop_rate(client, args.noops)
            print(f"1. Celery no-op tasks:          {noop:8.0f} tasks/s")
            deliveries = delivery_rate(company, receiver, args.events)
            print(f"2. webhook deliveries:          {deliveries:8.0f} deliveries/s "
                  f"({deliveries / noop:.2f} of the no-op rate)")
            print(f"3. commit-to-receipt at {args.rate:.0f} events/s for {args.seconds:.0f} s:")
            values = latency(company, receiver, args.rate, args.seconds, args.emitters)
            print(f"   median {statistics.median(values):.1f} ms, "
                  f"p95 {percentile(values, 0.95):.1f} ms, max {values[-1]:.1f} ms "
                  f"over {len(values)} events")
            OutboxEvent.objects.filter(company=company).delete()
            company.delete()
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
