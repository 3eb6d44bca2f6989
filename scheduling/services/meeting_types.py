"""Meeting types: what can be booked, for how long, where, by whom.

Shapes checked here, for the API and the admin alike:

- ``durations``: minutes, 1-1440, at most 10, kept ascending; ``default_duration``
  is one of them.
- ``channels``: the booking document's channel names. ``locations`` configure
  them: ``{"channel": "zoom", "link": "https://..."}`` for the video channels
  with a link of their own (google, zoom, teamsForBusiness2, webex),
  ``{"channel": "local", "address": "...", "name": "..."?}`` for in-person
  meetings at the host's place, ``{"channel": "phone-incoming", "phone": "..."}``
  for a number attendees call. Each such channel needs at least one location;
  ``connect`` (a built-in room per booking), ``phone``, ``local-attendee`` and
  ``whatsapp`` need none. Without ``channels``, they are the locations' channels,
  or ``["connect"]``.
- ``form_fields``: ``{"key", "label", "type", "required", "options"}``; ``options``
  only (and always) for select, multiselect and radio.
- meetergo's meeting-type pages name some channels otherwise (``google_meet``,
  ``teams``, ``in_person``); ``channel_name`` reads those too. ``whereby`` and
  ``custom`` have no Termin equivalent.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..choices import (
    LINK_CHANNELS,
    OPTION_FIELD_TYPES,
    Channel,
    FormFieldType,
    Role,
)
from ..core.access import Access
from ..core.errors import Conflict, DomainError, FieldErrors, Forbidden, raise_first
from ..core.lookups import parse_uuid
from ..models import AvailabilitySchedule, Company, MeetingType, Queue, User
from . import limits, schedules
from .queues import company_users

MAX_DURATIONS = 10
MAX_FORM_FIELDS = 50
MAX_LOCATIONS = 20
DEFAULT_DURATION = 30
DEFAULT_CHANNELS = [Channel.CONNECT.value]
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# What each configured channel's location must carry.
REQUIRED_LOCATION_FIELD = {
    **{channel.value: "link" for channel in LINK_CHANNELS},
    Channel.LOCAL.value: "address",
    Channel.PHONE_INCOMING.value: "phone",
}
LOCATION_KEYS = ("channel", "name", "link", "address", "phone")
# meetergo's meeting-type pages' channel names -> the booking document's.
CHANNEL_ALIASES = {"google_meet": Channel.GOOGLE.value, "teams": Channel.TEAMS.value,
                   "in_person": Channel.LOCAL.value}
UNSUPPORTED_CHANNELS = frozenset({"whereby", "custom"})


# --- checks (pure) ---------------------------------------------------------------


def normalize_durations(durations, default) -> tuple[list[int], int | None, FieldErrors]:
    """Sorted distinct durations and the default; a missing one is derived from the other."""
    if durations is None:
        durations = [default or DEFAULT_DURATION]
    if not isinstance(durations, list) or not durations:
        return [], None, [("durations", "Give at least one duration in minutes")]
    errors = [
        (f"durations.{i}", "A duration is a whole number of minutes from 1 to 1440")
        for i, value in enumerate(durations)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1440
    ]
    if len(durations) > MAX_DURATIONS:
        errors.append(("durations", f"At most {MAX_DURATIONS} durations"))
    if errors:
        return [], None, errors
    durations = sorted(set(durations))
    default = durations[0] if default is None else default
    if default not in durations:
        return durations, None, [("defaultDuration", "defaultDuration must be one of durations")]
    return durations, default, []


def channel_name(value) -> tuple[str | None, str | None]:
    """A channel by either document's name: ``(channel, None)`` or ``(None, error)``."""
    if not isinstance(value, str):
        return None, "Expected a channel name"
    if value in UNSUPPORTED_CHANNELS:
        return None, (f"Termin does not support the {value} channel; use one of "
                      f"{', '.join(Channel.values)}")
    channel = CHANNEL_ALIASES.get(value, value)
    if channel not in Channel.values:
        return None, f"Unknown channel; use one of {', '.join(Channel.values)}"
    return channel, None


def durations_for_default(durations: list[int], default: int) -> list[int]:
    """The durations once ``default`` is meetergo's ``duration``: a single duration
    is replaced by it, several keep it among them."""
    if default in durations:
        return durations
    return [default] if len(durations) <= 1 else sorted({*durations, default})


def normalize_locations(locations, channels) -> tuple[list[dict], list[str], FieldErrors]:
    """Locations (unknown keys dropped) and channels, checked against each other."""
    if not isinstance(locations, list):
        return [], [], [("locations", "Expected a list of locations")]
    if len(locations) > MAX_LOCATIONS:
        return [], [], [("locations", f"At most {MAX_LOCATIONS} locations")]
    errors: FieldErrors = []
    clean = []
    for index, raw in enumerate(locations):
        location, found = _location(raw, f"locations.{index}")
        errors += found
        if location:
            clean.append(location)
    if channels is None:
        channels = list(dict.fromkeys(loc["channel"] for loc in clean)) or DEFAULT_CHANNELS
    channels, found = _channels(channels)
    errors += found
    for index, location in enumerate(clean):
        if location["channel"] not in channels:
            errors.append((f"locations.{index}.channel", "This channel is not in channels"))
    configured = {loc["channel"] for loc in clean}
    for index, channel in enumerate(channels):
        need = REQUIRED_LOCATION_FIELD.get(channel)
        if need and channel not in configured:
            why = (f": Termin does not make {channel} meetings itself, so give the link in "
                   f'locations ([{{"channel": "{channel}", "link": "https://..."}}]) or use '
                   "connect, the built-in video room") if need == "link" else ""
            errors.append((f"channels.{index}",
                           f"{channel} needs a location with its {need}{why}"))
    return clean, channels, errors


def _channels(channels) -> tuple[list[str], FieldErrors]:
    if not isinstance(channels, list):
        return [], [("channels", "Expected a list of channels")]
    known = set(Channel.values)
    errors = [
        (f"channels.{i}", f"Unknown channel; use one of {', '.join(Channel.values)}")
        for i, channel in enumerate(channels) if channel not in known
    ]
    return list(dict.fromkeys(c for c in channels if c in known)), errors


def _location(raw, field: str) -> tuple[dict | None, FieldErrors]:
    if not isinstance(raw, dict):
        return None, [(field, "Expected an object with a channel")]
    location = {
        key: raw[key].strip() for key in LOCATION_KEYS if isinstance(raw.get(key), str)
    }
    location = {key: value for key, value in location.items() if value}
    channel = location.get("channel")
    if channel not in Channel.values:
        return None, [(f"{field}.channel", "Unknown channel")]
    errors = [
        (f"{field}.{key}", "Too long (at most 500 characters)")
        for key, value in location.items() if len(value) > 500
    ]
    need = REQUIRED_LOCATION_FIELD.get(channel)
    if need and not location.get(need):
        errors.append((f"{field}.{need}", f"A {channel} location needs its {need}"))
    if "link" in location and not _LINK.match(location["link"]):
        errors.append((f"{field}.link", "Expected an http or https URL"))
    return location, errors


def normalize_form_fields(form_fields) -> tuple[list[dict], FieldErrors]:
    """Form fields with their defaults (``type`` text, ``required`` false)."""
    if not isinstance(form_fields, list):
        return [], [("formFields", "Expected a list of form fields")]
    if len(form_fields) > MAX_FORM_FIELDS:
        return [], [("formFields", f"At most {MAX_FORM_FIELDS} form fields")]
    errors: FieldErrors = []
    clean, keys = [], set()
    for index, raw in enumerate(form_fields):
        field, found = _form_field(raw, f"formFields.{index}")
        if field and field["key"] in keys:
            found.append((f"formFields.{index}.key", "Another form field has this key"))
        errors += found
        if field and not found:
            keys.add(field["key"])
            clean.append(field)
    return clean, errors


def _form_field(raw, name: str) -> tuple[dict | None, FieldErrors]:
    if not isinstance(raw, dict):
        return None, [(name, "Expected an object with key, label and type")]
    errors: FieldErrors = []
    key, label = raw.get("key"), raw.get("label")
    kind, required = raw.get("type", FormFieldType.TEXT.value), raw.get("required", False)
    options = raw.get("options")
    if not isinstance(key, str) or not _KEY.match(key):
        errors.append((f"{name}.key", "A key is a letter then letters, digits or _ (max 64)"))
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        errors.append((f"{name}.label", "A label of 1 to 200 characters is required"))
    if kind not in FormFieldType.values:
        errors.append((f"{name}.type",
                       f"Unknown type; use one of {', '.join(FormFieldType.values)}"))
    if not isinstance(required, bool):
        errors.append((f"{name}.required", "Expected true or false"))
    if kind in OPTION_FIELD_TYPES:
        if (not isinstance(options, list) or not options
                or not all(isinstance(o, str) and o.strip() for o in options)):
            errors.append((f"{name}.options", "A choice field needs a list of option texts"))
    elif options not in (None, []):
        errors.append((f"{name}.options", "Only select, multiselect and radio take options"))
    if errors:
        return None, errors
    field = {"key": key, "label": label.strip(), "type": kind, "required": required}
    if kind in OPTION_FIELD_TYPES:
        field["options"] = [o.strip() for o in options]
    return field, []


# --- references to hosts, queues and schedules --------------------------------------


def _queue(company: Company, queue_id) -> Queue:
    found = Queue.objects.filter(company=company, uuid=parse_uuid(queue_id)).first()
    if found is None:
        raise DomainError("Queue not found", field="queueId")
    return found


def _schedule(company: Company, actor: Access, schedule_id) -> AvailabilitySchedule:
    found = (AvailabilitySchedule.objects.filter(company=company, uuid=parse_uuid(schedule_id))
             .first())
    if found is None:
        raise DomainError("Availability schedule not found", field="scheduleId")
    if found.user_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise Forbidden("Members can only use their own schedules", field="scheduleId")
    return found


def _hosts(company: Company, actor: Access, host_ids) -> list[User]:
    hosts = company_users(company=company, user_ids=host_ids, field="hostIds")
    if not hosts:
        raise DomainError("Give at least one host", field="hostIds")
    if not actor.has_role(Role.ADMIN) and any(h.pk != actor.user_id for h in hosts):
        raise Forbidden("Members can only host their own meeting types", field="hostIds")
    return hosts


def _check_may_use_queue(actor: Access) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can give a meeting type to a queue",
                        field="queueId")


# --- writes ----------------------------------------------------------------------

_PLAIN_FIELDS = (
    "title", "description", "slot_interval", "buffer_before", "buffer_after",
    "minimum_notice", "max_days_in_advance", "double_opt_in",
    "require_host_confirmation", "allow_phone_only_booking", "ics_title", "ics_description",
)


@transaction.atomic
def meeting_type_create(*, company: Company, actor: Access, title: str,
                        availability: dict | None = None, **fields) -> MeetingType:
    """A new meeting type. Without ``host_ids`` or ``queue_id`` the actor hosts it;
    a member may host only their own. Its owner is its first host (or the actor,
    for a queue), so that host may manage it. ``availability`` (``schedule_create``'s
    arguments) makes the owner a schedule of the meeting type's own, instead of
    ``schedule_id``."""
    if fields.get("host_ids") is not None and fields.get("queue_id") is not None:
        raise DomainError("Give hostIds or queueId, not both", field="queueId")
    meeting_type = MeetingType(company=company, title=title)
    _apply(meeting_type, actor, fields, creating=True)
    hosts: list[User] = []
    if fields.get("queue_id") is not None:
        _check_may_use_queue(actor)
        meeting_type.queue = _queue(company, fields["queue_id"])
        meeting_type.owner = actor.user
    else:
        hosts = _hosts(company, actor, fields.get("host_ids") or [str(actor.user.uuid)])
        meeting_type.owner = hosts[0]
    meeting_type.slug = _slug(company, fields.get("slug"), title, None)
    _own_schedule(meeting_type, availability, fields)
    _save(meeting_type)
    meeting_type.hosts.set(hosts)
    return meeting_type


def _own_schedule(meeting_type: MeetingType, availability: dict | None, fields: dict) -> None:
    """meetergo's inline ``availability``: a new schedule of the owner's, used by this
    meeting type only (it never becomes the owner's default)."""
    if availability is None:
        return
    if fields.get("schedule_id") is not None:
        raise DomainError("Send availability or availabilityId, not both",
                          field="availability")
    if meeting_type.owner is None:
        raise DomainError("This meeting type has no owner to keep its hours",
                          field="availability")
    meeting_type.schedule = schedules.schedule_create(
        company=meeting_type.company, user=meeting_type.owner,
        **{"name": meeting_type.title, **availability}, may_become_default=False)


@transaction.atomic
def meeting_type_update(*, meeting_type: MeetingType, actor: Access,
                        availability: dict | None = None, **fields) -> MeetingType:
    """Change the named fields. ``host_ids`` replaces the hosts and drops the queue;
    ``queue_id`` sets a queue and drops the hosts; ``availability`` gives it hours
    of its own (see ``meeting_type_create``)."""
    if fields.get("host_ids") is not None and fields.get("queue_id") is not None:
        raise DomainError("Give hostIds or queueId, not both", field="queueId")
    company = meeting_type.company
    _apply(meeting_type, actor, fields, creating=False)
    _own_schedule(meeting_type, availability, fields)
    hosts = None
    if fields.get("queue_id") is not None:
        _check_may_use_queue(actor)
        meeting_type.queue = _queue(company, fields["queue_id"])
        hosts = []
    elif fields.get("host_ids") is not None:
        hosts = _hosts(company, actor, fields["host_ids"])
        meeting_type.queue = None
    if "slug" in fields:
        meeting_type.slug = _slug(company, fields["slug"], meeting_type.title, meeting_type.pk)
    meeting_type.updated_at = timezone.now()
    _save(meeting_type)
    if hosts is not None:
        meeting_type.hosts.set(hosts)
    return meeting_type


@transaction.atomic
def meeting_type_delete(*, meeting_type: MeetingType) -> None:
    meeting_type.delete()


def _apply(meeting_type: MeetingType, actor: Access, fields: dict, *, creating: bool) -> None:
    """Check and set every field except hosts, queue and slug."""
    errors: FieldErrors = []
    if creating or "durations" in fields or "default_duration" in fields:
        durations = fields.get("durations") if creating or "durations" in fields else (
            meeting_type.durations)
        default = fields.get("default_duration")
        if default is None and not creating and meeting_type.default_duration in (
                durations if isinstance(durations, list) else []):
            default = meeting_type.default_duration  # still allowed: keep it
        durations, default, found = normalize_durations(durations, default)
        errors += found
        meeting_type.durations, meeting_type.default_duration = durations, default
    if creating or "locations" in fields or "channels" in fields:
        locations = fields.get("locations", [] if creating else meeting_type.locations)
        channels = fields.get("channels")
        if channels is None and not creating:
            # New locations without channels add their channels to the old ones.
            added = [loc.get("channel") for loc in locations if isinstance(loc, dict)]
            channels = list(dict.fromkeys([*meeting_type.channels, *added]))
        locations, channels, found = normalize_locations(locations, channels)
        errors += found
        meeting_type.locations, meeting_type.channels = locations, channels
    if creating or "form_fields" in fields:
        meeting_type.form_fields, found = normalize_form_fields(fields.get("form_fields", []))
        errors += found
    errors += _apply_limits(meeting_type, fields)
    raise_first(errors)
    for name in _PLAIN_FIELDS:
        if name in fields:
            setattr(meeting_type, name, fields[name])
    if "schedule_id" in fields:
        schedule_id = fields["schedule_id"]
        meeting_type.schedule = (
            _schedule(meeting_type.company, actor, schedule_id) if schedule_id else None
        )


def _apply_limits(meeting_type: MeetingType, fields: dict) -> FieldErrors:
    """``booking_limits``, then the old ``daily_limit`` (one of them), which must
    agree with each other when both are sent."""
    errors: FieldErrors = []
    if "booking_limits" in fields:
        meeting_type.booking_limits, errors = limits.normalize_booking_limits(
            fields["booking_limits"])
    if "daily_limit" in fields and not errors:
        daily = fields["daily_limit"]
        sent = limits.daily_limit_of(meeting_type.booking_limits)
        if "booking_limits" in fields and sent is not None and sent != daily:
            return [("dailyLimit", "bookingLimits says otherwise: send one of them")]
        meeting_type.booking_limits = limits.with_daily_limit(meeting_type.booking_limits, daily)
    return errors


def _slug(company: Company, wanted: str | None, title: str, exclude_pk: int | None) -> str:
    """An explicit slug must be free in the company; a derived one gets a suffix."""
    taken = MeetingType.objects.filter(company=company).exclude(pk=exclude_pk)
    if wanted:
        slug = slugify(wanted)[:100]
        if not slug:
            raise DomainError("This slug is not allowed", field="slug")
        if taken.filter(slug=slug).exists():
            raise Conflict("A meeting type with this slug already exists", field="slug")
        return slug
    base = (slugify(title) or "meeting")[:90]
    slug, n = base, 1
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _save(meeting_type: MeetingType) -> None:
    try:
        with transaction.atomic():
            meeting_type.save()
    except IntegrityError as exc:  # a concurrent request took the slug first
        raise Conflict("A meeting type with this slug already exists", field="slug") from exc
