"""Limits for everything anonymous (SPEC section 7, "Public surfaces").

The booking pages, the attendee's self-service (pages and ``/v4/public``), room
joins and the opt-in and host-decision links have no key, so they are limited by
who sends them:

* every POST to a page and every ``/v4/public`` request spends a token of its
  client address: ``PUBLIC_RATE_LIMIT`` per ``PUBLIC_RATE_WINDOW`` seconds;
* every booking from the pages also spends a token of the email it names, and so
  does every room join (a bucket of its own, so joining calls never stops a
  booking): ``PUBLIC_EMAIL_LIMIT`` per ``PUBLIC_EMAIL_WINDOW`` seconds;
* the booking service allows an email, and a client address, only a few
  provisional bookings of one host at a time; this module remembers which
  bookings each address made (``address_holds``, ``address_hold_remember``), since
  the appointment has no field for it.

A limit is the API's token bucket (``scheduling/core/api/ratelimit.py``) with as many tokens as
the limit, refilled evenly over the window: a burst of the whole limit passes,
then one request per window/limit. Refused requests spend nothing. Buckets and
remembered bookings live in Redis, shared by every process, when ``REDIS_URL``
is set, else in the process. When Redis is unreachable requests pass and a
warning is logged, as with the API's bucket. Addresses come from
``clientaddr.client_address`` and count per /64 for IPv6 (``counted_as``); emails
are kept as digests.
"""

import hashlib
import logging
import math
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings

from .auththrottle import counted_as
from .clientaddr import client_address
from .core.api.ratelimit import LocalBucket, RedisBucket, redis_client

logger = logging.getLogger("termin.publiclimits")

# RedisBucket stores a bucket under "ratelimit:" + its key.
BUCKET_PREFIX = "public:"
HOLDS_PREFIX = "publicholds:"


# --- token buckets per address and per email -------------------------------------------


def address_wait(request, now: float | None = None) -> int:
    """Spend a token of the request's client address: the seconds it must wait, 0
    when it may go on."""
    subject = "address:" + counted_as(client_address(request))
    return _spend(subject, settings.PUBLIC_RATE_LIMIT, settings.PUBLIC_RATE_WINDOW, now)


BOOKING, JOIN = "booking", "join"


def email_wait(email: str, kind: str, now: float | None = None) -> int:
    """Spend a token of ``email`` for a ``kind`` (BOOKING or JOIN) of request that
    names it: the seconds it must wait, 0 when it may go on."""
    subject = f"email:{kind}:{email_digest(email)}"
    return _spend(subject, settings.PUBLIC_EMAIL_LIMIT, settings.PUBLIC_EMAIL_WINDOW, now)


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _spend(subject: str, limit: int, window: int, now: float | None) -> int:
    if limit <= 0:
        return 0
    rate = limit / max(1, window)
    try:
        allowed, tokens = _buckets().take(BUCKET_PREFIX + subject, limit, rate, now)
    except redis.RedisError as exc:
        logger.warning("Public limit store unreachable, letting the request through: %s", exc)
        return 0
    return 0 if allowed else max(1, math.ceil((1 - tokens) / rate))


class LocalBuckets(LocalBucket):
    """The in-process buckets. Past MAX_ENTRIES they are pruned to half of that:
    full ones (untouched for a whole window) first, then the least recently used,
    so a stream of new addresses can neither fill the memory nor make every request
    walk a long list (pruning comes once per MAX_ENTRIES / 2 new buckets at most)."""

    MAX_ENTRIES = 10_000

    def take(self, key: str, capacity: int, rate: float, now: float | None = None):
        result = super().take(key, capacity, rate, now)
        if len(self.state) > self.MAX_ENTRIES:
            self._prune(time.time() if now is None else now)
        return result

    def _prune(self, now: float) -> None:
        oldest, keep = now - _longest_window(), self.MAX_ENTRIES // 2
        with self.lock:
            kept = {k: v for k, v in self.state.items() if v[1] > oldest}
            if len(kept) > keep:
                kept = dict(sorted(kept.items(), key=lambda item: item[1][1])[-keep:])
            self.state = kept

    def forget(self) -> None:
        with self.lock:
            self.state.clear()


def _longest_window() -> int:
    return max(settings.PUBLIC_RATE_WINDOW, settings.PUBLIC_EMAIL_WINDOW)


@lru_cache(maxsize=4)
def _buckets_for(url: str):
    return RedisBucket(url) if url else LocalBuckets()


def _buckets():
    return _buckets_for(settings.REDIS_URL)


# --- the bookings each address holds of each host --------------------------------------


def address_holds(*, host_id: int, address: str, now: float | None = None) -> list[str]:
    """The ids of the bookings of ``host_id`` remembered for ``address`` and not yet
    forgotten (the service asks the database which of them still hold)."""
    key, now = _holds_key(host_id, address), time.time() if now is None else now
    try:
        return _holds().members(key, now)
    except redis.RedisError as exc:
        logger.warning("Public limit store unreachable, not counting holds: %s", exc)
        return []


def address_hold_remember(*, host_ids, address: str, appointment_id: str, keep: float,
                          now: float | None = None) -> None:
    """Remember for ``keep`` seconds that ``address`` booked ``appointment_id`` of
    each of ``host_ids``."""
    now = time.time() if now is None else now
    try:
        for host_id in host_ids:
            _holds().add(_holds_key(host_id, address), appointment_id, now + keep, now)
    except redis.RedisError as exc:
        logger.warning("Public limit store unreachable, not remembering a hold: %s", exc)


def _holds_key(host_id: int, address: str) -> str:
    return f"{HOLDS_PREFIX}{host_id}:{counted_as(address)}"


class RedisHolds:
    """A sorted set per host and address: booking ids scored by when to forget them."""

    def __init__(self, url: str):
        self.client = redis_client(url)

    def members(self, key: str, now: float) -> list[str]:
        return [m.decode() for m in self.client.zrangebyscore(key, f"({now}", "+inf")]

    def add(self, key: str, member: str, until: float, now: float) -> None:
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {member: until})
        # Every booking is kept as long, so the newest decides when the set can go.
        pipe.expire(key, math.ceil(until - now) + 1)
        pipe.execute()

    def forget(self) -> None:
        for name in self.client.scan_iter(f"{HOLDS_PREFIX}*"):
            self.client.delete(name)


class LocalHolds:
    """The same in one process, for the embedded default."""

    def __init__(self):
        self.state: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()

    def members(self, key: str, now: float) -> list[str]:
        with self.lock:
            return [m for m, until in self.state.get(key, {}).items() if until > now]

    def add(self, key: str, member: str, until: float, now: float) -> None:
        with self.lock:
            for name in list(self.state):  # forget what is due, everywhere
                kept = {m: u for m, u in self.state[name].items() if u > now}
                if kept:
                    self.state[name] = kept
                else:
                    del self.state[name]
            self.state.setdefault(key, {})[member] = until

    def forget(self) -> None:
        with self.lock:
            self.state.clear()


@lru_cache(maxsize=4)
def _holds_for(url: str):
    return RedisHolds(url) if url else LocalHolds()


def _holds():
    return _holds_for(settings.REDIS_URL)


# --- tests and operators -----------------------------------------------------------------


def limits_forget() -> None:
    """Forget every public bucket and remembered hold (tests; an operator unblocking)."""
    buckets = _buckets()
    if isinstance(buckets, RedisBucket):
        for name in buckets.client.scan_iter(f"ratelimit:{BUCKET_PREFIX}*"):
            buckets.client.delete(name)
    else:
        buckets.forget()
    _holds().forget()
