"""A token bucket per API key (SPEC section 7, "Rate limit").

The bucket lives in Redis and is updated by one Lua script, so any number of web
processes share it atomically. Without ``REDIS_URL`` (the embedded default) each
process keeps its own bucket. When Redis is unreachable requests pass and a
warning is logged: an outage of the limiter must not become an outage of the API.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("termin.ratelimit")

# KEYS[1] bucket; ARGV: capacity, tokens per second, now (seconds; empty = Redis clock).
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {allowed, tostring(tokens)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    tokens: float
    capacity: int
    rate: float  # tokens per second

    @property
    def remaining(self) -> int:
        return int(self.tokens)

    @property
    def reset_seconds(self) -> int:
        return math.ceil((self.capacity - self.tokens) / self.rate)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil((1 - self.tokens) / self.rate))


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL for the limits of this process, with
    short timeouts: a slow store must not hold requests up."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


class RedisBucket:
    def __init__(self, url: str):
        self.client = redis_client(url)
        self.script = self.client.register_script(_TAKE)

    def take(self, key: str, capacity: int, rate: float, now: float | None = None):
        """(whether a token was taken, tokens left)."""
        allowed, tokens = self.script(
            keys=[f"ratelimit:{key}"], args=[capacity, rate, "" if now is None else now]
        )
        return bool(allowed), float(tokens)


class LocalBucket:
    """The same arithmetic in one process, for the embedded default."""

    def __init__(self):
        self.state: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key: str, capacity: int, rate: float, now: float | None = None):
        now = time.time() if now is None else now
        with self.lock:
            tokens, ts = self.state.get(key, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - ts) * rate)
            allowed = tokens >= 1
            tokens = tokens - 1 if allowed else tokens
            self.state[key] = (tokens, now)
        return allowed, tokens


@lru_cache(maxsize=4)
def _bucket_for(url: str):
    return RedisBucket(url) if url else LocalBucket()


def take_token(key: str, now: float | None = None) -> Decision | None:
    """Spend one token of ``key``'s bucket; None when the limit is off or unavailable."""
    per_minute, capacity = settings.API_RATE_LIMIT, settings.API_RATE_BURST
    if per_minute <= 0:
        return None
    rate = per_minute / 60.0
    try:
        allowed, tokens = _bucket_for(settings.REDIS_URL).take(key, capacity, rate, now)
    except redis.RedisError as exc:
        logger.warning("Rate limit store unreachable, letting the request through: %s", exc)
        return None
    return Decision(allowed=allowed, tokens=tokens, capacity=capacity, rate=rate)


class TokenBucketThrottle(BaseThrottle):
    """DRF throttle over ``take_token``; the decision is kept for the response headers."""

    def allow_request(self, request, view) -> bool:
        ctx = request.auth
        api_key = getattr(ctx, "api_key", None)
        if api_key is None:
            return True
        self.decision = take_token(str(api_key.uuid))
        request._request.ratelimit = self.decision
        return self.decision is None or self.decision.allowed

    def wait(self):
        return self.decision.retry_after if self.decision else None


def ratelimit_headers(decision: Decision | None) -> dict[str, str]:
    if decision is None:
        return {}
    return {
        "X-RateLimit-Limit": str(settings.API_RATE_LIMIT),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }
