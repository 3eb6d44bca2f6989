"""Free slots: ``GET /v4/booking-availability`` and ``GET /v4/availability?meetingTypeId``.

Every query parameter meetergo documents for these paths is read (see docs/api.md,
"Availability and slots"), beside Termin's own ``duration`` and ``hostId``; any
other parameter is a 400 naming it. ``start`` and ``end`` are plain dates (read in
``timezone``, ``end`` inclusive) or datetimes with an offset; a datetime without
one is a 400.

The answer carries every shape meetergo's pages read, built in one pass over the
slots: ``availableSlots``, ``timeframes``, ``dates`` with ``earliestAvailableDate``,
and ``slots``.
"""

import datetime as dt
import re
import uuid

from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from .. import selectors
from .. import slots as engine
from ..core.api.fields import OffsetDateTimeField, TimezoneField
from ..core.api.shapes import (
    OMIT,
    Choice,
    Day,
    Instant,
    Integer,
    ListOf,
    Many,
    One,
    Shape,
    Text,
    Uuid,
    key,
)
from ..core.errors import DomainError
from ..core.timeutils import OUT_OF_RANGE, get_zone, within_range
from ..services import limits
from ..services.limits import api_limit

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ANYONE, EVERYONE = "anyone", "everyone"
RESOURCES_UNSUPPORTED = (
    "resourceChannelIds is not supported: Termin has no resource channels; leave it out")


class InstantField(OffsetDateTimeField):
    """An ISO 8601 datetime with its offset, from 1900 to 2999 (beyond, the
    arithmetic of slots and bookings would leave Python's calendar)."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_internal_value(self, value):
        try:
            parsed = self.parse(value)
        except OverflowError:  # the offset moved it past year 1 or 9999
            self.fail("out_of_range")
        if not within_range(parsed):
            self.fail("out_of_range")
        return parsed

    def parse(self, value):
        return super().to_internal_value(value)


class DateOrDateTimeField(InstantField):
    """``2024-01-15`` as a date, else an ISO 8601 datetime with its offset."""

    def parse(self, value):
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD")
        if isinstance(value, str) and "T" in value:
            # A "+" left unencoded in a query string arrives as a space.
            value = value.strip().replace(" ", "+")
        return super().parse(value)


class IdListField(serializers.Field):
    """User ids, comma-separated (``hostIds=a,b``), repeated (``hostIds=a&hostIds=b``)
    or both; blank items are skipped, and no item at all counts as not sent."""

    default_error_messages = {"invalid": "Not a valid id: {value}"}

    def get_value(self, dictionary):
        if isinstance(dictionary, MultiValueDict):
            values = dictionary.getlist(self.field_name)
            return values if values else serializers.empty
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        items = [data] if isinstance(data, str) else list(data)
        ids = []
        for item in ",".join(str(value) for value in items).split(","):
            if not item.strip():
                continue
            try:
                ids.append(uuid.UUID(item.strip()))
            except ValueError:
                self.fail("invalid", value=item.strip())
        return list(dict.fromkeys(ids)) or None

    def to_representation(self, value):
        return [str(item) for item in value]


class SlotsQuery(serializers.Serializer):
    meetingTypeId = serializers.UUIDField()
    start = DateOrDateTimeField()
    end = DateOrDateTimeField()
    timezone = TimezoneField(required=False)
    duration = serializers.IntegerField(required=False, min_value=1)
    meetingDuration = serializers.IntegerField(required=False, min_value=1)
    hostId = serializers.UUIDField(required=False)
    hostIds = IdListField(required=False)
    queueId = serializers.UUIDField(required=False)
    calculationMethod = serializers.ChoiceField([ANYONE, EVERYONE], required=False)
    channel = serializers.CharField(required=False)
    existingAppointmentId = serializers.UUIDField(required=False)
    attendeeEmail = serializers.EmailField(required=False)
    troubleshoot = serializers.BooleanField(required=False)
    resourceChannelIds = serializers.CharField(required=False, allow_blank=True)
    # Accepted because what they ask for holds already: Termin keeps no cache (every
    # answer is fresh), has no group appointments to hide, and finds the earliest
    # date from the slots it computes anyway.
    refreshCache = serializers.BooleanField(required=False)
    hideGroupAppointments = serializers.BooleanField(required=False)
    skipEarliestBookingCalculation = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [f"Unknown query parameter {name!r}: this endpoint does not support it"]
                 for name in unknown})
        return super().to_internal_value(data)

    def validate_resourceChannelIds(self, value):  # noqa: N802 - the parameter's name
        if value.strip():
            raise serializers.ValidationError(RESOURCES_UNSUPPORTED)
        return value

    def validate(self, attrs):
        duration, meeting_duration = attrs.get("duration"), attrs.get("meetingDuration")
        if None not in (duration, meeting_duration) and duration != meeting_duration:
            raise serializers.ValidationError(
                {"meetingDuration": ["meetingDuration and duration name different durations; "
                                     "send one of them"]})
        return attrs


def _param(name, kind, description, **kwargs):
    return OpenApiParameter(name, kind, required=kwargs.pop("required", False),
                            description=description, **kwargs)


SLOT_PARAMETERS = [
    _param("meetingTypeId", str, "Meeting type id", required=True),
    _param("start", str, "First day (2024-01-15) or an instant with offset", required=True),
    _param("end", str, "Last day, inclusive (2024-01-22), or an instant with offset; "
           f"at most {selectors.MAX_RANGE_DAYS} days after start", required=True),
    _param("timezone", str, "IANA zone to read dates in and show slots in; "
           "default: the zone of the meeting type's schedule, else the first host's"),
    _param("meetingDuration", int, "Minutes; one of the meeting type's durations "
           "(meetergo's name; the same as duration)"),
    _param("duration", int, "Minutes; one of the meeting type's durations"),
    _param("hostIds", str, "Only these hosts' slots: user ids, comma-separated or the "
           "parameter repeated (together with hostId, if both are sent). Co-hosts are "
           "always all considered"),
    _param("hostId", str, "Only this host's slots (Termin's own; see hostIds)"),
    _param("queueId", str, "The meeting type's queue (another queue is a 400)"),
    _param("calculationMethod", str, "anyone (default): a slot is free when any chosen "
           "host is; everyone: only when all chosen hosts are. Co-host meeting types "
           "always need everyone", enum=[ANYONE, EVERYONE]),
    _param("channel", str, "A channel the meeting type offers (else a 400); slots are "
           "the same on every channel"),
    _param("existingAppointmentId", str, "An appointment of the company being "
           "rescheduled: its own time counts as free and its booking not toward the "
           "limits; its booker's email is the attendee's for attendeeEmail limits"),
    _param("attendeeEmail", str, "Termin's own: the attendee's email, so that periods "
           "where the meeting type's attendeeEmail limits are reached for it are hidden"),
    _param("troubleshoot", bool, "true: blockedSlots also names, for every candidate time "
           "of the range that is not a slot, the rule that refused it for each host"),
    _param("resourceChannelIds", str, "Not supported: any value is a 400"),
    _param("refreshCache", bool, "Accepted; every answer is computed fresh"),
    _param("hideGroupAppointments", bool, "Accepted; Termin has no group appointments"),
    _param("skipEarliestBookingCalculation", bool,
           "Accepted; earliestAvailableDate costs nothing extra and is always given"),
]

SLOT = Shape("Slot", {"start": Instant(key("start")), "end": Instant(key("end"))})
TIMEFRAME = Shape("Timeframe", SLOT.fields)
SPOT = Shape("Spot", {"startTime": Instant(key("startTime"))})
AVAILABLE_DATE = Shape("AvailableDate", {
    "date": Day(key("date"), "A local date in the answer's zone"),
    "spots": Many(SPOT, key("spots")),
})
SLOTS_OF_DATE = Shape("SlotsOfDate", {
    "date": Day(key("date")),
    "times": ListOf(Instant, key("times")),
})
BOOKING_LIMIT = Shape("BookingLimit", {
    "scope": Choice([(scope, scope) for scope in engine.SCOPES], key("scope")),
    "period": Choice([(period, period) for period in engine.PERIODS], key("period")),
    "max": Integer(key("max")),
    "unit": Choice([(unit, unit) for unit in limits.UNITS], key("unit")),
})
REASON_HELP = (
    "policy (a policy refuses every time), override (the date's override hours leave it "
    "out), outsideHours, notice (before the minimum notice), horizon (past "
    "maxDaysInAdvance), limit (a booking limit is reached in its period), appointment "
    "(another appointment), busyCalendar (busy time of a connected calendar or blocked "
    "by hand), buffer (only the buffers meet one of those)")
REASON = Choice([(reason, reason) for reason in engine.REASONS], key("reason"), REASON_HELP)
HOST_REASON = Shape("HostReason", {
    "hostId": Uuid(key("hostId")),
    "hostName": Text(key("hostName")),
    "reason": REASON,
    "limit": One(BOOKING_LIMIT, lambda item: item.get("limit", OMIT), "The full limit",
                 built=True, required=False),
})
BLOCKED_SLOT = Shape("BlockedSlot", {
    "start": Instant(key("start")),
    "end": Instant(key("end")),
    "reason": Choice([(reason, reason) for reason in engine.REASONS], key("reason"),
                     "The reason of the first host in hosts"),
    "hosts": Many(HOST_REASON, key("hosts"), "Each host that refused it (all of them, "
                  "except for co-hosts, where free ones are left out)", built=True),
})
# The answer, from the forms ``slots_payload`` makes in one pass over the slots. Its
# lists come built: the loop writes each item as a plain dict under its shape's keys
# (unpacked below, so a key added to a shape stops the import until the loop has
# it), because the loop's speed is the answer's.
SLOTS = Shape("AvailableSlots", {
    "availableSlots": Many(SLOT, key("availableSlots"),
                           "Every free slot, start and end in the answer's zone", built=True),
    "timeframes": Many(TIMEFRAME, key("timeframes"),
                       "Free windows in UTC: the slots merged where they overlap or touch; "
                       "each starts at a slot's start and ends at a slot's end", built=True),
    "dates": Many(AVAILABLE_DATE, key("dates"), "The slots' starts by local date",
                  built=True),
    "earliestAvailableDate": Day(key("earliestAvailableDate"),
                                 "The first date in dates; null when there is none", null=True),
    "slots": Many(SLOTS_OF_DATE, key("slots"),
                  "The slots' starts by local date (older form of dates)", built=True),
    "timezone": Text(key("timezone"), "The zone of every local time and date"),
    "duration": Integer(key("duration"), "Minutes of each slot"),
    "meetingTypeId": Uuid(key("meetingTypeId")),
    "blockedSlots": Many(BLOCKED_SLOT, lambda forms: forms.get("blockedSlots", OMIT),
                         "With troubleshoot=true: every candidate time of the range that is "
                         "not a slot, with why", built=True, required=False),
})
START, END = SLOT.keys()
(START_TIME,) = SPOT.keys()
DATE, SPOTS = AVAILABLE_DATE.keys()
_, TIMES = SLOTS_OF_DATE.keys()


def slots_response(request, ctx) -> Response:
    """Validate the query, ask the selector, render every answer form at once."""
    query = SlotsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    meeting_type = selectors.meeting_type_get(
        company=ctx.company, meeting_type_id=data["meetingTypeId"]
    )
    selectors.check_channel(meeting_type, data.get("channel"))
    existing = data.get("existingAppointmentId")
    find = selectors.explained_slots if data.get("troubleshoot") else selectors.available_slots
    try:
        result = find(
            meeting_type=meeting_type, start=data["start"], end=data["end"],
            timezone=data.get("timezone"),
            duration=data.get("meetingDuration", data.get("duration")),
            host_id=data.get("hostId"), host_ids=data.get("hostIds"),
            queue_id=data.get("queueId"), everyone=data.get("calculationMethod") == EVERYONE,
            attendee_email=data.get("attendeeEmail"),
            exclude_appointment_id=selectors.appointment_pk_get(
                company=ctx.company, appointment_id=existing) if existing else None,
        )
    except DomainError as exc:
        if exc.field == "duration" and "meetingDuration" in data:
            exc.field = "meetingDuration"  # the parameter the client sent
        raise
    forms = slots_payload(result)
    forms["meetingTypeId"] = str(meeting_type.uuid)
    if result.refused is not None:
        forms["blockedSlots"] = blocked_payload(result)
    return Response(SLOTS.build(forms))


def blocked_payload(result: selectors.SlotResult) -> list[dict]:
    """``result``'s refused times as ``BLOCKED_SLOT``s, local times in its zone."""
    zone = get_zone(result.timezone)
    hosts = {pk: {"hostId": str(user.uuid), "hostName": user.full_name or user.email}
             for pk, user in result.hosts.items()}
    blocked = []
    for refusal in result.refused:
        reasons = [HOST_REASON.build({**hosts[why.host_id], "reason": why.reason,
                                      **({"limit": api_limit(why.limit)} if why.limit else {})})
                   for why in refusal.reasons]
        blocked.append(BLOCKED_SLOT.build({
            "start": refusal.start.astimezone(zone).isoformat(),
            "end": refusal.end.astimezone(zone).isoformat(),
            "reason": refusal.reasons[0].reason, "hosts": reasons}))
    return blocked


def slots_payload(result: selectors.SlotResult) -> dict:
    """Every answer form of ``result`` (the fields of ``SLOTS`` but the meeting type's
    id), in one pass over its slots (sorted by start).

    Local times and dates are in ``result.timezone``; a slot's date is the date part
    of its local start. ``timeframes`` are in UTC, merged where slots overlap or touch.
    Each instant is formatted once and its text shared by every form: formatting is
    most of the cost, and a slot's end is usually a later slot's start.
    """
    zone = get_zone(result.timezone)
    text: dict[dt.datetime, str] = {}
    available, timeframes, days, by_day = [], [], [], {}
    day = spots = times = None
    frame_start = frame_end = None
    for slot in result.slots:
        start = text.get(slot.start)
        if start is None:
            start = text[slot.start] = slot.start.astimezone(zone).isoformat()
        end = text.get(slot.end)
        if end is None:
            end = text[slot.end] = slot.end.astimezone(zone).isoformat()
        available.append({START: start, END: end})
        if start[:10] != day:
            day = start[:10]
            if day not in by_day:  # a day seen again only where clocks go back over midnight
                by_day[day] = ([], [])
                days.append(day)
            spots, times = by_day[day]
        spots.append({START_TIME: start})
        times.append(start)
        if frame_end is not None and slot.start <= frame_end:
            frame_end = max(frame_end, slot.end)
        else:
            if frame_end is not None:
                timeframes.append(_utc_frame(frame_start, frame_end))
            frame_start, frame_end = slot.start, slot.end
    if frame_end is not None:
        timeframes.append(_utc_frame(frame_start, frame_end))
    return {
        "availableSlots": available,
        "timeframes": timeframes,
        "dates": [{DATE: d, SPOTS: by_day[d][0]} for d in days],
        "earliestAvailableDate": days[0] if days else None,
        "slots": [{DATE: d, TIMES: by_day[d][1]} for d in days],
        "timezone": result.timezone,
        "duration": result.duration,
    }


def _utc_frame(start: dt.datetime, end: dt.datetime) -> dict:
    return {START: start.astimezone(dt.UTC).isoformat(),
            END: end.astimezone(dt.UTC).isoformat()}
