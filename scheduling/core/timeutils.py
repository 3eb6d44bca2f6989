"""Time zone helpers: store UTC, convert at the edges, always print an offset."""

import datetime as dt
import zoneinfo
from functools import lru_cache

from .errors import DomainError

UTC = dt.UTC

# Names browsers still report that the IANA database keeps only as links.
_ALIASES = {"Asia/Katmandu": "Asia/Kathmandu", "Asia/Calcutta": "Asia/Kolkata"}


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def canonical_timezone(name: str) -> str | None:
    """The IANA name for ``name`` (aliases resolved), or None when unknown."""
    name = _ALIASES.get(name, name)
    return name if name in _known_zones() else None


def check_timezone(value, field: str = "timezone") -> str:
    """The canonical IANA name of ``value``; DomainError on ``field`` when unknown."""
    zone = canonical_timezone(value) if isinstance(value, str) else None
    if zone is None:
        raise DomainError(f"Unknown time zone: {value}", field=field)
    return zone


def get_zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(canonical_timezone(name) or "UTC")


def iso(value: dt.datetime | None, tz: str | dt.tzinfo | None = None) -> str | None:
    """ISO 8601 with a numeric offset (``+00:00``, never ``Z``), in ``tz`` or UTC."""
    if value is None:
        return None
    zone = get_zone(tz) if isinstance(tz, str) else (tz or UTC)
    return value.astimezone(zone).isoformat()


def unix(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


# The instants the API accepts: far wider than any booking needs, and far enough
# from the ends of Python's calendar (years 1 and 9999) that adding a duration,
# buffers, a day or a time zone's offset can never overflow.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(3000, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = "Dates must lie between the years 1900 and 2999"


def within_range(value: dt.date | dt.datetime) -> bool:
    """Whether a date, or an aware datetime, lies from 1900 to 2999."""
    if isinstance(value, dt.datetime):
        return EARLIEST <= value < LATEST
    return EARLIEST.date() <= value < LATEST.date()


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` (a date or datetime) moved by whole calendar months, day and time
    kept; ValueError when that day does not exist in the month reached."""
    index = value.year * 12 + value.month - 1 + months
    return value.replace(year=index // 12, month=index % 12 + 1)
