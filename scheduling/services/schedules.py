"""Availability schedules: a user's weekly hours in a time zone, with date overrides.

The weekly hours and the overrides are checked here, once, for the API and the
admin alike: times are ``HH:MM`` local wall-clock times, an end of ``24:00`` (or
``00:00``) is midnight at the end of the day, and a day's intervals may neither
be inverted nor overlap (touching is fine).

meetergo's shapes are read here too, so every caller gets the same answer:

- ``schedule`` as ``{"monday": {"enabled": true, "hours": [{"start", "end"}]}, ...}``
  or as ``[{"dayOfWeek": "monday", "intervals": [{"from", "to"}]}]``: the weekly
  hours (``weekly_from_schedule``; ``schedule_object`` writes the first shape);
- ``exceptions`` as ``[{"start", "end", "available"}]``: a time span blocked
  (``available: false``, the default) or opened (``true``), with dates or
  datetimes with an offset. meetergo's precedence holds: an opening beats a
  block, and both beat the weekly hours. They are stored as Termin's date
  overrides: each date an exception touches gets that date's hours with the
  exception applied (``overrides_from_exceptions``); ``exceptions_from_overrides``
  writes overrides back as exceptions that give the same hours when sent again.
"""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from ..core.errors import DomainError, FieldErrors, raise_first
from ..core.timeutils import OUT_OF_RANGE, check_timezone, get_zone, within_range
from ..models import AvailabilitySchedule, Company, Membership, ScheduleOverride, User

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_OVERRIDES = 500
MIDNIGHT_END = "24:00"
DEFAULT_NAME = "Working hours"
# The hours of a provisioned user: Monday to Friday, 09:00-17:00.
DEFAULT_WEEKLY = {
    day: ([{"start": "09:00", "end": "17:00"}] if day not in ("saturday", "sunday") else [])
    for day in WEEKDAYS
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --- checking weekly hours and overrides (pure) ---------------------------------


def _minutes(value, *, end: bool) -> int | None:
    """Minutes since midnight of ``HH:MM``; ``24:00``/``00:00`` as an end is 1440."""
    if not isinstance(value, str):
        return None
    if end and value.strip() in (MIDNIGHT_END, "00:00"):
        return 24 * 60
    match = _TIME.match(value.strip())
    return int(match[1]) * 60 + int(match[2]) if match else None


def _hhmm(minutes: int) -> str:
    return MIDNIGHT_END if minutes == 24 * 60 else f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalize_intervals(raw, field: str) -> tuple[list[dict], FieldErrors]:
    """One day's intervals, sorted, as ``[{"start": "09:00", "end": "17:00"}]``.

    Errors name the interval by its index in ``raw`` (``weekly.monday.1``).
    """
    if not isinstance(raw, list):
        return [], [(field, "Expected a list of {start, end} intervals")]
    errors: FieldErrors = []
    parsed = []
    for index, item in enumerate(raw):
        name = f"{field}.{index}"
        if not isinstance(item, dict):
            errors.append((name, "Expected an object with start and end"))
            continue
        start, end = _minutes(item.get("start"), end=False), _minutes(item.get("end"), end=True)
        if start is None:
            errors.append((f"{name}.start", "Expected a time as HH:MM"))
        if end is None:
            errors.append((f"{name}.end", "Expected a time as HH:MM (24:00 for midnight)"))
        if start is not None and end is not None:
            if end <= start:
                errors.append((name, "The interval must end after it starts"))
            else:
                parsed.append((start, end, index))
    parsed.sort()
    for (_, previous_end, _), (start, _, index) in zip(parsed, parsed[1:], strict=False):
        if start < previous_end:
            errors.append((f"{field}.{index}", "The interval overlaps another one"))
    return [{"start": _hhmm(s), "end": _hhmm(e)} for s, e, _ in parsed], errors


def normalize_weekly(raw, field: str = "weekly") -> tuple[dict, FieldErrors]:
    """All seven weekdays (missing ones empty), each day normalized."""
    if not isinstance(raw, dict):
        return {}, [(field, 'Expected an object like {"monday": [{"start": "09:00", ...}]}')]
    errors: FieldErrors = [
        (f"{field}.{key}", f"Unknown weekday; use one of {', '.join(WEEKDAYS)}")
        for key in raw if key not in WEEKDAYS
    ]
    weekly = {}
    for day in WEEKDAYS:
        weekly[day], day_errors = normalize_intervals(raw.get(day, []), f"{field}.{day}")
        errors += day_errors
    return weekly, errors


def normalize_overrides(raw, field: str = "overrides") -> tuple[list[dict], FieldErrors]:
    """``[{"date": "2024-12-24", "intervals": [...]}]`` sorted by date; empty = day off."""
    if not isinstance(raw, list):
        return [], [(field, "Expected a list of {date, intervals}")]
    if len(raw) > MAX_OVERRIDES:
        return [], [(field, f"At most {MAX_OVERRIDES} date overrides")]
    errors: FieldErrors = []
    seen: dict[dt.date, int] = {}
    out = []
    for index, item in enumerate(raw):
        name = f"{field}.{index}"
        if not isinstance(item, dict):
            errors.append((name, "Expected an object with date and intervals"))
            continue
        day = _date(item.get("date"))
        if day is None:
            errors.append((f"{name}.date", "Expected a date as YYYY-MM-DD"))
        elif day in seen:
            errors.append((f"{name}.date", "This date has another override already"))
        intervals, interval_errors = normalize_intervals(
            item.get("intervals", []), f"{name}.intervals"
        )
        errors += interval_errors
        if day is not None and day not in seen:
            seen[day] = index
            out.append({"date": day.isoformat(), "intervals": intervals})
    out.sort(key=lambda override: override["date"])
    return out, errors


# --- meetergo's schedule shapes (pure) ----------------------------------------------

_DAY_KEYS = frozenset({"enabled", "hours"})
_ENTRY_KEYS = frozenset({"dayOfWeek", "intervals"})
_FROM_TO_KEYS = frozenset({"from", "to"})


def weekly_from_schedule(raw, field: str = "schedule") -> tuple[dict, FieldErrors]:
    """The weekly hours of a meetergo ``schedule``, in either documented shape:
    ``{"monday": {"enabled": true, "hours": [{"start", "end"}]}}`` or
    ``[{"dayOfWeek": "monday", "intervals": [{"from", "to"}]}]``. A day not named,
    or ``enabled: false``, is a day off. Errors name the field as it was sent."""
    if isinstance(raw, dict):
        return _weekly_from_day_objects(raw, field)
    if isinstance(raw, list):
        return _weekly_from_day_entries(raw, field)
    return {}, [(field, 'Expected {"monday": {"enabled": true, "hours": [...]}, ...} or '
                        '[{"dayOfWeek": "monday", "intervals": [...]}]')]


def _weekly_from_day_objects(raw: dict, field: str) -> tuple[dict, FieldErrors]:
    errors: FieldErrors = [
        (f"{field}.{key}", f"Unknown weekday; use one of {', '.join(WEEKDAYS)}")
        for key in raw if key not in WEEKDAYS
    ]
    weekly = {}
    for day in WEEKDAYS:
        name, value = f"{field}.{day}", raw.get(day, {"enabled": False})
        if not isinstance(value, dict):
            errors.append((name, 'Expected {"enabled": true, "hours": [{"start", "end"}]}'))
            weekly[day] = []
            continue
        errors += _unknown_keys(value, _DAY_KEYS, name)
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            errors.append((f"{name}.enabled", "Expected true or false"))
        hours = value.get("hours", [])
        weekly[day], found = normalize_intervals(hours, f"{name}.hours")
        if enabled is False:
            weekly[day] = []  # a day switched off offers nothing, whatever its hours
        errors += found
    return weekly, errors


def _weekly_from_day_entries(raw: list, field: str) -> tuple[dict, FieldErrors]:
    errors: FieldErrors = []
    weekly: dict[str, list] = {day: [] for day in WEEKDAYS}
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        name = f"{field}.{index}"
        if not isinstance(entry, dict):
            errors.append((name, 'Expected {"dayOfWeek": "monday", "intervals": [...]}'))
            continue
        errors += _unknown_keys(entry, _ENTRY_KEYS, name)
        day = entry.get("dayOfWeek")
        day = day.strip().lower() if isinstance(day, str) else day
        if day not in WEEKDAYS:
            errors.append((f"{name}.dayOfWeek", f"Use one of {', '.join(WEEKDAYS)}"))
        elif day in seen:
            errors.append((f"{name}.dayOfWeek", "This day is listed twice"))
        intervals, found = _from_to_intervals(entry.get("intervals", []), f"{name}.intervals")
        errors += found
        if day in WEEKDAYS and day not in seen:
            seen.add(day)
            weekly[day] = intervals
    return weekly, errors


def _from_to_intervals(raw, field: str) -> tuple[list[dict], FieldErrors]:
    """``[{"from": "09:00", "to": "17:00"}]`` checked like Termin's intervals, errors
    naming ``from`` and ``to``."""
    if not isinstance(raw, list):
        return [], [(field, "Expected a list of {from, to} intervals")]
    errors: FieldErrors = []
    for index, item in enumerate(raw):
        if isinstance(item, dict):
            errors += _unknown_keys(item, _FROM_TO_KEYS, f"{field}.{index}")
    converted = [
        {"start": item.get("from"), "end": item.get("to")} if isinstance(item, dict) else item
        for item in raw
    ]
    intervals, found = normalize_intervals(converted, field)
    renamed = {".start": ".from", ".end": ".to"}
    for name, message in found:
        for old, new in renamed.items():
            if name.endswith(old):
                name = name[: -len(old)] + new
        errors.append((name, message.replace("start and end", "from and to")))
    return intervals, errors


def _unknown_keys(value: dict, known: frozenset, field: str) -> FieldErrors:
    return [(f"{field}.{key}", f"Unknown field {key!r}: use {', '.join(sorted(known))}")
            for key in sorted(set(value) - known, key=str)]


def schedule_object(weekly: dict) -> dict:
    """Weekly hours in meetergo's object shape, all seven days."""
    return {
        day: {"enabled": bool(weekly.get(day)), "hours": list(weekly.get(day, []))}
        for day in WEEKDAYS
    }


# --- meetergo's exceptions <-> Termin's overrides (pure) -------------------------------

_EXCEPTION_KEYS = frozenset({"start", "end", "available"})


def check_exceptions(raw, field: str = "exceptions") -> tuple[list[dict], FieldErrors]:
    """``[{"start", "end", "available"}]`` parsed: ``start`` and ``end`` are dates
    (``2024-12-24``; a date as ``end`` counts in full) or datetimes with an offset;
    ``available`` defaults to false (a block)."""
    if not isinstance(raw, list):
        return [], [(field, "Expected a list of {start, end, available}")]
    if len(raw) > MAX_OVERRIDES:
        return [], [(field, f"At most {MAX_OVERRIDES} exceptions")]
    errors: FieldErrors = []
    parsed = []
    for index, item in enumerate(raw):
        name = f"{field}.{index}"
        if not isinstance(item, dict):
            errors.append((name, "Expected an object with start, end and available"))
            continue
        errors += _unknown_keys(item, _EXCEPTION_KEYS, name)
        start, end = _moment(item.get("start")), _moment(item.get("end"))
        available = item.get("available", False)
        for key, value in (("start", start), ("end", end)):
            if value is None:
                errors.append((f"{name}.{key}", "Expected a date (YYYY-MM-DD) or a datetime "
                                                "with a UTC offset"))
            elif not within_range(value):
                errors.append((f"{name}.{key}", OUT_OF_RANGE))
        if not isinstance(available, bool):
            errors.append((f"{name}.available", "Expected true or false"))
        elif start is not None and end is not None:
            parsed.append({"start": start, "end": end, "available": available, "index": index})
    return (parsed, []) if not errors else ([], errors)


def _moment(value) -> dt.date | dt.datetime | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) == 10:
        return _date(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def overrides_from_exceptions(
    exceptions: list[dict], *, weekly: dict, zone_name: str, overrides: list[dict],
    field: str = "exceptions",
) -> tuple[list[dict], FieldErrors]:
    """Date overrides for ``exceptions`` (from ``check_exceptions``) in the zone
    ``zone_name``: each date an exception touches gets its hours (an override sent
    with them, else the weekday's) less every block, plus every opening. The other
    ``overrides`` stay as they are."""
    zone = get_zone(zone_name)
    blocks: dict[dt.date, list] = {}
    opens: dict[dt.date, list] = {}
    errors: FieldErrors = []
    for item in exceptions:
        start, end = _local(item["start"], zone, end=False), _local(item["end"], zone, end=True)
        if end <= start:
            errors.append((f"{field}.{item['index']}.end", "The exception must end after it "
                                                           "starts"))
            continue
        target = opens if item["available"] else blocks
        for day, window in _split_by_day(start, end):
            target.setdefault(day, []).append(window)
    days = set(blocks) | set(opens)
    by_date = {o["date"]: o["intervals"] for o in overrides}
    if len(days | set(by_date)) > MAX_OVERRIDES:
        errors.append((field, f"At most {MAX_OVERRIDES} dates with other hours"))
    if errors:
        return [], errors
    for day in days:
        base = by_date.get(day.isoformat())
        if base is None:
            base = weekly.get(WEEKDAYS[day.weekday()], [])
        spans = _subtract([_span(i) for i in base], blocks.get(day, []))
        spans = _union(spans + opens.get(day, []))
        by_date[day.isoformat()] = [{"start": _hhmm(s), "end": _hhmm(e)} for s, e in spans]
    return [{"date": d, "intervals": by_date[d]} for d in sorted(by_date)], []


def _local(value, zone, *, end: bool) -> dt.datetime:
    """A naive local wall-clock datetime; a date as an end means the end of that day."""
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    return dt.datetime.combine(value + dt.timedelta(days=1 if end else 0), dt.time())


def _split_by_day(start: dt.datetime, end: dt.datetime):
    """``(date, (from_minute, to_minute))`` for each local day the span touches."""
    day = start.date()
    while dt.datetime.combine(day, dt.time()) < end:
        midnight = dt.datetime.combine(day, dt.time())
        low = max(start, midnight) - midnight
        high = min(end, midnight + dt.timedelta(days=1)) - midnight
        yield day, (int(low.total_seconds()) // 60, int(high.total_seconds()) // 60)
        day += dt.timedelta(days=1)


def _span(interval: dict) -> tuple[int, int]:
    return _minutes(interval["start"], end=False), _minutes(interval["end"], end=True)


def _subtract(spans: list, cuts: list) -> list:
    for cut_start, cut_end in cuts:
        spans = [piece for start, end in spans for piece in (
            (start, min(end, cut_start)), (max(start, cut_end), end)) if piece[0] < piece[1]]
    return sorted(spans)


def _union(spans: list) -> list:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def exceptions_from_overrides(overrides: list[dict], zone_name: str) -> list[dict]:
    """Overrides as meetergo exceptions: each date blocked whole, then its hours
    opened (an opening beats a block), so sending them back gives the same hours."""
    zone = get_zone(zone_name)
    out = []
    for override in overrides:
        day = dt.date.fromisoformat(override["date"])
        out.append(_exception(day, 0, 24 * 60, zone, available=False))
        out.extend(_exception(day, *_span(i), zone, available=True)
                   for i in override["intervals"])
    return out


def _exception(day: dt.date, start: int, end: int, zone, *, available: bool) -> dict:
    def moment(minutes: int) -> str:
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        return naive.replace(tzinfo=zone).isoformat()

    return {"start": moment(start), "end": moment(end), "available": available}


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- writes ----------------------------------------------------------------------


def _lock_user(company: Company, user: User) -> None:
    """Serialise schedule writes per user, so "one default" never races into an
    IntegrityError (the unique constraint still guards it)."""
    Membership.objects.select_for_update().filter(company=company, user=user).first()


def _with_exceptions(exceptions, *, weekly: dict, zone: str, overrides: list) -> list[dict]:
    """``overrides`` with meetergo's ``exceptions`` applied (see the module docstring)."""
    parsed, errors = check_exceptions(exceptions)
    raise_first(errors)
    overrides, errors = overrides_from_exceptions(
        parsed, weekly=weekly, zone_name=zone, overrides=overrides)
    raise_first(errors)
    return overrides


@transaction.atomic
def schedule_create(
    *,
    company: Company,
    user: User,
    name: str = DEFAULT_NAME,
    timezone_name: str | None = None,
    weekly: dict | None = None,
    overrides: list | None = None,
    exceptions: list | None = None,
    is_default: bool | None = None,
    may_become_default: bool = True,
) -> AvailabilitySchedule:
    """A new schedule for ``user``. The user's first schedule is their default
    (unless ``may_become_default`` is false: a meeting type's own hours);
    ``is_default=True`` makes this one the default instead of the previous one.
    ``exceptions`` (meetergo's) become date overrides beside ``overrides``."""
    zone = check_timezone(timezone_name or user.timezone)
    weekly, errors = normalize_weekly(weekly or {})
    overrides, override_errors = normalize_overrides(overrides or [])
    raise_first(errors + override_errors)
    if exceptions is not None:
        overrides = _with_exceptions(exceptions, weekly=weekly, zone=zone, overrides=overrides)
    _lock_user(company, user)
    has_default = AvailabilitySchedule.objects.filter(
        company=company, user=user, is_default=True
    ).exists()
    schedule = AvailabilitySchedule(
        company=company, user=user, name=name or DEFAULT_NAME, timezone=zone, weekly=weekly
    )
    if is_default and has_default:
        _clear_default(company, user)
    schedule.is_default = bool(is_default) or (not has_default and may_become_default)
    schedule.save()
    _replace_overrides(schedule, overrides)
    return schedule


@transaction.atomic
def schedule_update(*, schedule: AvailabilitySchedule, **changes) -> AvailabilitySchedule:
    """Change the named fields (``name``, ``timezone_name``, ``weekly``, ``overrides``,
    ``exceptions``, ``is_default``). ``weekly`` is replaced whole, and so are the date
    overrides when ``overrides`` or ``exceptions`` (or both) are sent: exceptions
    apply to the new week and zone."""
    fields = []
    if "name" in changes:
        schedule.name = changes["name"] or DEFAULT_NAME
        fields.append("name")
    if "timezone_name" in changes:
        schedule.timezone = check_timezone(changes["timezone_name"])
        fields.append("timezone")
    errors: FieldErrors = []
    if "weekly" in changes:
        schedule.weekly, errors = normalize_weekly(changes["weekly"])
        fields.append("weekly")
    if "overrides" in changes or "exceptions" in changes:
        overrides, override_errors = normalize_overrides(changes.get("overrides") or [])
        errors += override_errors
    raise_first(errors)
    if changes.get("exceptions") is not None:
        overrides = _with_exceptions(changes["exceptions"], weekly=schedule.weekly,
                                     zone=schedule.timezone, overrides=overrides)
    _lock_user(schedule.company, schedule.user)
    if "is_default" in changes and changes["is_default"] != schedule.is_default:
        if not changes["is_default"]:
            raise DomainError(
                "A user keeps one default schedule: make another schedule the default instead",
                field="isDefault",
            )
        _clear_default(schedule.company, schedule.user)
        schedule.is_default = True
        fields.append("is_default")
    schedule.updated_at = timezone.now()
    schedule.save(update_fields=[*fields, "updated_at"])
    if "overrides" in changes or "exceptions" in changes:
        _replace_overrides(schedule, overrides)
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: AvailabilitySchedule) -> None:
    """Delete a schedule. When it was the default, the user's oldest other schedule
    becomes the default; meeting types that used it fall back to their hosts'
    defaults."""
    _lock_user(schedule.company, schedule.user)
    was_default = schedule.is_default
    schedule.delete()
    if was_default:
        successor = (
            AvailabilitySchedule.objects.filter(company=schedule.company, user=schedule.user)
            .order_by("created_at", "pk").first()
        )
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


def _clear_default(company: Company, user: User) -> None:
    AvailabilitySchedule.objects.filter(company=company, user=user, is_default=True).update(
        is_default=False
    )


def _replace_overrides(schedule: AvailabilitySchedule, overrides: list[dict]) -> None:
    schedule.overrides.all().delete()
    ScheduleOverride.objects.bulk_create(
        ScheduleOverride(
            schedule=schedule, date=dt.date.fromisoformat(o["date"]), intervals=o["intervals"]
        )
        for o in overrides
    )
