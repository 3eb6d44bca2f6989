"""Free slots: ``GET /v4/booking-availability`` and ``GET /v4/availability?meetingTypeId``.

``start`` and ``end`` are plain dates (read in ``timezone``, ``end`` inclusive)
or datetimes with an offset; a datetime without one is a 400.
"""

import datetime as dt
import re

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import selectors
from ..timeutils import OUT_OF_RANGE, get_zone, iso, within_range
from .fields import OffsetDateTimeField, TimezoneField

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


class SlotsQuery(serializers.Serializer):
    meetingTypeId = serializers.UUIDField()
    start = DateOrDateTimeField()
    end = DateOrDateTimeField()
    timezone = TimezoneField(required=False)
    duration = serializers.IntegerField(required=False, min_value=1)
    hostId = serializers.UUIDField(required=False)


SLOT_PARAMETERS = [
    OpenApiParameter("meetingTypeId", str, required=True, description="Meeting type id"),
    OpenApiParameter("start", str, required=True,
                     description="First day (2024-01-15) or an instant with offset"),
    OpenApiParameter("end", str, required=True,
                     description="Last day, inclusive (2024-01-22), or an instant with offset; "
                     f"at most {selectors.MAX_RANGE_DAYS} days after start"),
    OpenApiParameter("timezone", str, required=False,
                     description="IANA zone to read dates in and show slots in; "
                     "default: the host schedule's zone"),
    OpenApiParameter("duration", int, required=False,
                     description="Minutes; one of the meeting type's durations"),
    OpenApiParameter("hostId", str, required=False, description="Only this host's slots"),
]

SlotsOutput = inline_serializer(
    "AvailableSlots",
    {
        "availableSlots": inline_serializer(
            "Slot", {"start": serializers.DateTimeField(), "end": serializers.DateTimeField()},
            many=True,
        ),
        "timezone": serializers.CharField(),
        "duration": serializers.IntegerField(),
        "meetingTypeId": serializers.UUIDField(),
    },
)


def slots_response(request, ctx) -> Response:
    """Validate the query, ask the selector, render every instant with its offset."""
    query = SlotsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    meeting_type = selectors.meeting_type_get(
        company=ctx.company, meeting_type_id=data["meetingTypeId"]
    )
    result = selectors.available_slots(
        meeting_type=meeting_type, start=data["start"], end=data["end"],
        timezone=data.get("timezone"), duration=data.get("duration"),
        host_id=data.get("hostId"),
    )
    zone = get_zone(result.timezone)
    return Response({
        "availableSlots": [
            {"start": iso(slot.start, zone), "end": iso(slot.end, zone)}
            for slot in result.slots
        ],
        "timezone": result.timezone,
        "duration": result.duration,
        "meetingTypeId": str(meeting_type.uuid),
    })
