"""Availability schedules: a user's weekly hours in a time zone, with date overrides.

The weekly hours and the overrides are checked here, once, for the API and the
admin alike: times are ``HH:MM`` local wall-clock times, an end of ``24:00`` (or
``00:00``) is midnight at the end of the day, and a day's intervals may neither
be inverted nor overlap (touching is fine).
"""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from ..errors import DomainError
from ..models import AvailabilitySchedule, Company, Membership, ScheduleOverride, User
from ..timeutils import canonical_timezone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_OVERRIDES = 500
MIDNIGHT_END = "24:00"
DEFAULT_NAME = "Working hours"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

FieldErrors = list[tuple[str, str]]


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


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _raise_first(errors: FieldErrors) -> None:
    if errors:
        field, message = errors[0]
        raise DomainError(message, field=field)


def check_timezone(value) -> str:
    zone = canonical_timezone(value) if isinstance(value, str) else None
    if zone is None:
        raise DomainError(f"Unknown time zone: {value}", field="timezone")
    return zone


# --- writes ----------------------------------------------------------------------


def _lock_user(company: Company, user: User) -> None:
    """Serialise schedule writes per user, so "one default" never races into an
    IntegrityError (the unique constraint still guards it)."""
    Membership.objects.select_for_update().filter(company=company, user=user).first()


@transaction.atomic
def schedule_create(
    *,
    company: Company,
    user: User,
    name: str = DEFAULT_NAME,
    timezone_name: str | None = None,
    weekly: dict | None = None,
    overrides: list | None = None,
    is_default: bool | None = None,
) -> AvailabilitySchedule:
    """A new schedule for ``user``. The user's first schedule is their default;
    ``is_default=True`` makes this one the default instead of the previous one."""
    zone = check_timezone(timezone_name or user.timezone)
    weekly, errors = normalize_weekly(weekly or {})
    overrides, override_errors = normalize_overrides(overrides or [])
    _raise_first(errors + override_errors)
    _lock_user(company, user)
    has_default = AvailabilitySchedule.objects.filter(
        company=company, user=user, is_default=True
    ).exists()
    schedule = AvailabilitySchedule(
        company=company, user=user, name=name or DEFAULT_NAME, timezone=zone, weekly=weekly
    )
    if is_default and has_default:
        _clear_default(company, user)
    schedule.is_default = bool(is_default) or not has_default
    schedule.save()
    _replace_overrides(schedule, overrides)
    return schedule


@transaction.atomic
def schedule_update(*, schedule: AvailabilitySchedule, **changes) -> AvailabilitySchedule:
    """Change the named fields (``name``, ``timezone_name``, ``weekly``, ``overrides``,
    ``is_default``). ``weekly`` and ``overrides`` are replaced whole."""
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
    if "overrides" in changes:
        overrides, override_errors = normalize_overrides(changes["overrides"])
        errors += override_errors
    _raise_first(errors)
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
    if "overrides" in changes:
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
