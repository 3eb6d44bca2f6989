"""Failed authentication, counted per client address (SPEC section 7, "Rate limit").

Two kinds of failure count: an API request that sent an ``Authorization`` header
and was answered 401, and a failed sign-in (Django's ``user_login_failed``, sent
by the admin's login form). Once an address has ``AUTH_FAILURE_LIMIT`` failures
within ``AUTH_FAILURE_WINDOW`` seconds of its first one, every further attempt
from it that carries credentials is refused with a 429 before the credential is
checked, until the window ends; refused attempts do not count. Requests without
credentials and successful ones never count, so a person who mistypes once or
twice is never stopped.

The counters live in Redis (one Lua script, shared by every web process) when
``REDIS_URL`` is set, else in the process. When Redis is unreachable attempts
pass and a warning is logged, as with the API's token bucket. The address comes
from ``clientaddr.client_address``; IPv6 clients count per /64, since one host
commonly holds a whole /64.
"""

import ipaddress
import logging
import math
import threading
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse

from .clientaddr import client_address
from .core.api.errors import error_body, workspace_error_body
from .core.api.paths import is_api_path, is_workspace_path
from .core.api.ratelimit import redis_client

logger = logging.getLogger("termin.auththrottle")

KEY_PREFIX = "authfail:"

# KEYS[1] counter; ARGV: window (seconds), now (seconds; empty = Redis clock),
# add (1 counts a failure, 0 only looks). Returns {failures, seconds left in the window}.
_COUNT = """
local window = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'count', 'start')
local count = tonumber(state[1]) or 0
local start = tonumber(state[2]) or now
if now - start >= window then
  count = 0
  start = now
end
if ARGV[3] == '1' then
  count = count + 1
  redis.call('HSET', KEYS[1], 'count', tostring(count), 'start', tostring(start))
  redis.call('EXPIRE', KEYS[1], math.ceil(start + window - now) + 1)
end
return {count, tostring(start + window - now)}
"""


class RedisCounters:
    def __init__(self, url: str):
        self.client = redis_client(url)
        self.script = self.client.register_script(_COUNT)

    def count(self, key: str, window: int, now: float | None, add: bool) -> tuple[int, float]:
        failures, left = self.script(
            keys=[KEY_PREFIX + key], args=[window, "" if now is None else now, int(add)]
        )
        return int(failures), float(left)

    def forget(self, key: str | None) -> None:
        keys = [KEY_PREFIX + key] if key else self.client.scan_iter(f"{KEY_PREFIX}*")
        for name in keys:
            self.client.delete(name)


class LocalCounters:
    """The same arithmetic in one process, for the embedded default."""

    MAX_ENTRIES = 10_000  # past this, ended windows are dropped so memory stays bounded

    def __init__(self):
        self.state: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def count(self, key: str, window: int, now: float | None, add: bool) -> tuple[int, float]:
        now = time.time() if now is None else now
        with self.lock:
            failures, start = self.state.get(key, (0, now))
            if now - start >= window:
                failures, start = 0, now
            if add:
                failures += 1
                self.state[key] = (failures, start)
                self._prune(window, now)
        return failures, start + window - now

    def forget(self, key: str | None) -> None:
        with self.lock:
            if key:
                self.state.pop(key, None)
            else:
                self.state.clear()

    def _prune(self, window: int, now: float) -> None:
        if len(self.state) > self.MAX_ENTRIES:
            self.state = {k: v for k, v in self.state.items() if now - v[1] < window}


@lru_cache(maxsize=4)
def _counters_for(url: str):
    return RedisCounters(url) if url else LocalCounters()


def _counters():
    return _counters_for(settings.REDIS_URL)


def counted_as(address: str) -> str:
    """The counter an address adds to: itself, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _count(address: str, add: bool, now: float | None) -> tuple[int, float] | None:
    try:
        return _counters().count(counted_as(address), settings.AUTH_FAILURE_WINDOW, now, add)
    except redis.RedisError as exc:
        logger.warning("Auth failure store unreachable, letting the request through: %s", exc)
        return None


def failure_record(address: str, now: float | None = None) -> int:
    """Count one failed authentication from ``address``; the failures in its window."""
    if settings.AUTH_FAILURE_LIMIT <= 0:
        return 0
    counted = _count(address, True, now)
    failures = counted[0] if counted else 0
    if failures == settings.AUTH_FAILURE_LIMIT:
        logger.warning("Refusing authentication from %s for %s s after %s failures",
                       address, settings.AUTH_FAILURE_WINDOW, failures)
    return failures


def failure_wait(address: str, now: float | None = None) -> int:
    """Seconds ``address`` must wait before its credentials are checked again; 0 = now."""
    if settings.AUTH_FAILURE_LIMIT <= 0:
        return 0
    counted = _count(address, False, now)
    if counted is None or counted[0] < settings.AUTH_FAILURE_LIMIT:
        return 0
    return max(1, math.ceil(counted[1]))


def failures_forget(address: str | None = None) -> None:
    """Forget the failures of ``address`` (all addresses without one): unblocks it."""
    _counters().forget(counted_as(address) if address else None)


def attempt_wait(kind: str, address: str, *, limit: int, window: int,
                 now: float | None = None) -> int:
    """Count one attempt of ``kind`` (such as a password-reset request) from
    ``address``, in a counter and window of its own; the seconds to wait when that
    makes more than ``limit`` in the window, else 0. ``failures_forget()`` forgets
    these counters too."""
    try:
        attempts, left = _counters().count(f"{kind}:{counted_as(address)}", window, now, True)
    except redis.RedisError as exc:
        logger.warning("Attempt store unreachable, letting the request through: %s", exc)
        return 0
    return max(1, math.ceil(left)) if attempts > limit else 0


@receiver(user_login_failed, dispatch_uid="termin.auththrottle.login_failed")
def _count_failed_sign_in(sender, credentials, request=None, **kwargs):
    if request is not None:
        failure_record(client_address(request))


class AuthFailureThrottleMiddleware:
    """Refuses attempts with credentials from an address over the limit; counts the
    API's 401s for requests that sent credentials (sign-ins count by the signal)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = _is_api_attempt(request)
        if not api and not _is_sign_in_attempt(request):
            return self.get_response(request)
        address = client_address(request)
        wait = failure_wait(address)
        if wait:
            return _api_refusal(request, wait) if api else _sign_in_refusal(wait)
        response = self.get_response(request)
        if api and response.status_code == 401:
            failure_record(address)
        return response


def _is_api_attempt(request) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION")) and is_api_path(request.path)


def _is_sign_in_attempt(request) -> bool:
    return request.method == "POST" and request.path_info == reverse("admin:login")


def _message(wait: int) -> str:
    return f"Too many failed authentication attempts from this address; retry in {wait} seconds"


def _api_refusal(request, wait: int) -> JsonResponse:
    message = _message(wait)
    workspace = is_workspace_path(request.path)
    body = workspace_error_body(message) if workspace else error_body(429, message)
    return JsonResponse(body, status=429, headers={"Retry-After": str(wait)})


def _sign_in_refusal(wait: int) -> HttpResponse:
    minutes = max(1, math.ceil(wait / 60))
    html = render_to_string("throttled.html", {"minutes": minutes})
    return HttpResponse(html, status=429, headers={"Retry-After": str(wait)})
