"""Booking limits: at most so many bookings, or minutes booked, per day, week,
month or year of the host's zone.

A meeting type keeps its limits as a list of ``{"scope", "period", "max",
"unit"}`` objects (the API's own form, checked here for the API and the admin
alike):

- ``scope``: ``meetingType`` counts the host's bookings of this meeting type,
  ``host`` every booking the host holds (any meeting type), ``attendeeEmail``
  the bookings of this meeting type made with the attendee's email (any host:
  meetergo's "email booking limit").
- ``period``: ``day``, ``week`` (Monday to Sunday), ``month`` or ``year``, the
  calendar periods of the host's zone.
- ``max``: 1 to ``MAX_LIMIT``; ``unit``: ``bookings`` (default) or ``minutes``
  (minutes booked, the new booking's included).

The old ``dailyLimit`` is the ``{meetingType, day, max, bookings}`` limit.
"""

from .. import slots as engine
from ..core.errors import FieldErrors

BOOKINGS, MINUTES = "bookings", "minutes"
UNITS = (BOOKINGS, MINUTES)
MAX_LIMITS = 12
MAX_LIMIT = 1_000_000
LIMIT_KEYS = ("scope", "period", "max", "unit")
_DAILY = (engine.MEETING_TYPE, engine.DAY, BOOKINGS)


def normalize_booking_limits(limits, *, name: str = "bookingLimits"
                             ) -> tuple[list[dict], FieldErrors]:
    """The limits with ``unit`` filled in, or the errors naming each wrong part. One
    limit per scope, period and unit."""
    if not isinstance(limits, list):
        return [], [(name, "Expected a list of {scope, period, max, unit} objects")]
    if len(limits) > MAX_LIMITS:
        return [], [(name, f"At most {MAX_LIMITS} limits")]
    errors: FieldErrors = []
    clean, seen = [], set()
    for index, raw in enumerate(limits):
        limit, found = _limit(raw, f"{name}.{index}")
        if limit and _kind(limit) in seen:
            found.append((f"{name}.{index}", "Another limit has this scope, period and unit"))
        errors += found
        if limit and not found:
            seen.add(_kind(limit))
            clean.append(limit)
    return clean, errors


def _limit(raw, name: str) -> tuple[dict | None, FieldErrors]:
    if not isinstance(raw, dict):
        return None, [(name, "Expected an object with scope, period and max")]
    errors: FieldErrors = [(f"{name}.{key}", f"Unknown field {key!r}: a limit has "
                            f"{', '.join(LIMIT_KEYS)}") for key in raw if key not in LIMIT_KEYS]
    scope, period = raw.get("scope"), raw.get("period")
    most, unit = raw.get("max"), raw.get("unit", BOOKINGS)
    if scope not in engine.SCOPES:
        errors.append((f"{name}.scope", f"Use one of {', '.join(engine.SCOPES)}"))
    if period not in engine.PERIODS:
        errors.append((f"{name}.period", f"Use one of {', '.join(engine.PERIODS)}"))
    if not isinstance(most, int) or isinstance(most, bool) or not 1 <= most <= MAX_LIMIT:
        errors.append((f"{name}.max", f"A whole number from 1 to {MAX_LIMIT}"))
    if unit not in UNITS:
        errors.append((f"{name}.unit", f"Use one of {', '.join(UNITS)}"))
    return {"scope": scope, "period": period, "max": most, "unit": unit}, errors


def _kind(limit: dict) -> tuple:
    return limit["scope"], limit["period"], limit["unit"]


def daily_limit_of(limits: list[dict]) -> int | None:
    """The old ``dailyLimit``: the max of the meeting type's bookings per day."""
    return next((limit["max"] for limit in limits if _kind(limit) == _DAILY), None)


def with_daily_limit(limits: list[dict], daily: int | None) -> list[dict]:
    """``limits`` with the old ``dailyLimit`` set to ``daily`` (None removes it)."""
    kept = [limit for limit in limits if _kind(limit) != _DAILY]
    if daily is None:
        return kept
    scope, period, unit = _DAILY
    return [{"scope": scope, "period": period, "max": daily, "unit": unit}, *kept]


def engine_limits(limits: list[dict]) -> tuple[engine.Limit, ...]:
    """Stored limits as the slot engine's."""
    return tuple(engine.Limit(limit["scope"], limit["period"], limit["max"],
                              minutes=limit["unit"] == MINUTES) for limit in limits)


def api_limit(limit: engine.Limit) -> dict:
    """An engine limit in the API's form."""
    return {"scope": limit.scope, "period": limit.period, "max": limit.max,
            "unit": MINUTES if limit.minutes else BOOKINGS}


def describe(limit: engine.Limit) -> str:
    """A limit in words, for refusals: "2 bookings per day of this meeting type"."""
    unit = MINUTES if limit.minutes else BOOKINGS
    if limit.max == 1 and not limit.minutes:
        unit = "booking"
    counted = {engine.MEETING_TYPE: "of this meeting type for this host",
               engine.HOST: "for this host", engine.ATTENDEE: "of this meeting type per email"}
    return f"{limit.max} {unit} per {limit.period} {counted[limit.scope]}"
