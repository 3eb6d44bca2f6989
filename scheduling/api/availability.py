"""``/v4/availability``: availability schedules, and the slots of a meeting type.

``GET /v4/availability`` answers two questions, as the meetergo overview has it:
with ``meetingTypeId`` it returns free slots (exactly like
``GET /v4/booking-availability``), without it the acting user's schedules.
"""

import copy
from collections import defaultdict
from operator import attrgetter

from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from ..core.api.base import ApiView, ApiViewSet
from ..core.api.fields import StrictSerializer, TimezoneField, UnsupportedField
from ..core.api.pagination import page_serializer
from ..core.api.shapes import Boolean, Instant, Json, Many, Shape, Text, Uuid, key
from ..models import AvailabilitySchedule
from ..services import schedules
from .slots import SLOT_PARAMETERS, SLOTS, slots_response

INTERVAL_EXAMPLE = [{"start": "09:00", "end": "17:00"}]


def raise_field_errors(errors) -> None:
    """``[(field, message)]`` from a service's checks as one 400 naming every field."""
    if errors:
        grouped = defaultdict(list)
        for field, message in errors:
            grouped[field].append(message)
        raise serializers.ValidationError(dict(grouped))


SCHEDULE_HELP = (
    'meetergo\'s weekly hours, in either documented shape: {"monday": {"enabled": true, '
    '"hours": [{"start": "09:00", "end": "17:00"}]}, ...} or [{"dayOfWeek": "monday", '
    '"intervals": [{"from": "09:00", "to": "17:00"}]}]. A day not named is a day off. '
    "The same as weekly: send one of them.")
EXCEPTIONS_HELP = (
    'meetergo\'s date exceptions: [{"start": "2024-12-24", "end": "2024-12-26", '
    '"available": false}]. start and end are dates (an end date counts in full) or datetimes '
    "with an offset; available false blocks the span, true opens it (an opening beats a "
    "block). Stored as overrides of the dates they touch, computed from the weekly hours "
    "sent or stored; sending exceptions or overrides replaces all date overrides.")


class ScheduleInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    timezone = TimezoneField(required=False)
    isDefault = serializers.BooleanField(required=False)
    weekly = serializers.JSONField(
        required=False,
        help_text='Intervals per weekday in the schedule\'s zone: {"monday": [{"start": '
        '"09:00", "end": "17:00"}], ...}. Missing days are days off; "24:00" is midnight.',
    )
    overrides = serializers.JSONField(
        required=False,
        help_text='Other hours on single dates: [{"date": "2024-12-24", "intervals": []}] '
        "(no intervals: a day off).",
    )
    schedule = serializers.JSONField(required=False, help_text=SCHEDULE_HELP)
    exceptions = serializers.JSONField(required=False, help_text=EXCEPTIONS_HELP)
    useExplicitAvailability = UnsupportedField()
    explicitAvailabilityEventTitle = UnsupportedField()

    def validate(self, attrs):
        errors = []
        if "weekly" in attrs and "schedule" in attrs:
            errors.append(("schedule", "Send either schedule (meetergo's shape) or weekly"))
        elif "schedule" in attrs:
            attrs["weekly"], found = schedules.weekly_from_schedule(attrs.pop("schedule"))
            errors += found
        elif "weekly" in attrs:
            attrs["weekly"], found = schedules.normalize_weekly(attrs["weekly"])
            errors += found
        if "overrides" in attrs:
            attrs["overrides"], found = schedules.normalize_overrides(attrs["overrides"])
            errors += found
        if "exceptions" in attrs:
            errors += schedules.check_exceptions(attrs["exceptions"])[1]
        raise_field_errors(errors)
        return attrs

    def to_service_kwargs(self) -> dict:
        return schedule_service_kwargs(self.validated_data)


class InlineScheduleInput(ScheduleInput):
    """A schedule sent inside another body (a new user's ``availability``, a meeting
    type's own hours): the same fields, without ``isDefault``."""

    isDefault = None


def schedule_service_kwargs(validated: dict) -> dict:
    """A validated schedule body as ``schedule_create``'s keywords."""
    names = {"isDefault": "is_default", "timezone": "timezone_name"}
    return {names.get(key, key): value for key, value in validated.items()}


class _ScheduleFacts:
    """A schedule's hours in both documents' shapes, worked out once."""

    def __init__(self, schedule: AvailabilitySchedule):
        self.schedule = schedule
        self.weekly = {day: schedule.weekly.get(day, []) for day in schedules.WEEKDAYS}
        self.overrides = [{"date": o.date.isoformat(), "intervals": o.intervals}
                          for o in schedule.overrides.all()]
        self.exceptions = schedules.exceptions_from_overrides(self.overrides, schedule.timezone)


EXCEPTION = Shape("AvailabilityException", {
    "start": Instant(key("start")),
    "end": Instant(key("end")),
    "available": Boolean(key("available")),
})
# A schedule in Termin's shape (``weekly``, ``overrides``) and meetergo's
# (``schedule``, ``exceptions``) at once.
SCHEDULE = Shape("AvailabilitySchedule", {
    "id": Uuid("schedule.uuid"),
    "userId": Uuid("schedule.user.uuid"),
    "name": Text("schedule.name"),
    "timezone": Text("schedule.timezone"),
    "isDefault": Boolean("schedule.is_default"),
    "schedule": Json(lambda facts: schedules.schedule_object(facts.weekly),
                     'meetergo\'s shape: {"monday": {"enabled": true, "hours": [{"start", '
                     '"end"}]}, ...}, all seven days'),
    "weekly": Json(attrgetter("weekly")),
    "overrides": Json(attrgetter("overrides")),
    "exceptions": Many(EXCEPTION, attrgetter("exceptions")),
    "availabilityExceptions": Many(EXCEPTION, attrgetter("exceptions"),
                                   "The same as exceptions (the API reference's name)"),
    "createdAt": Instant("schedule.created_at"),
    "updatedAt": Instant("schedule.updated_at"),
}, prepare=_ScheduleFacts)


def _optional(parameter: OpenApiParameter) -> OpenApiParameter:
    optional = copy.copy(parameter)
    optional.required = False
    return optional


@extend_schema(tags=["Availability"])
class AvailabilityViewSet(ApiViewSet):
    queryset = AvailabilitySchedule.objects.none()  # for the schema; requests use get_queryset()
    not_found = "Availability schedule not found"
    serializer_class = ScheduleInput
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            AvailabilitySchedule.objects.filter(company=self.ctx.company)
            .select_related("user").prefetch_related("overrides")
        )

    def owner_id(self, schedule: AvailabilitySchedule) -> int:
        return schedule.user_id

    @extend_schema(
        summary="Free slots of a meeting type (with meetingTypeId), else your schedules",
        parameters=[
            *[_optional(p) for p in SLOT_PARAMETERS],  # without meetingTypeId: schedules
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: PolymorphicProxySerializer(
            component_name="SlotsOrSchedules", resource_type_field_name=None, many=False,
            serializers=[SLOTS.schema(),
                         page_serializer("AvailabilitySchedulePage", SCHEDULE.schema(many=True))],
        )},
    )
    def list(self, request):
        if "meetingTypeId" in request.query_params:
            return slots_response(request, self.ctx)
        queryset = self.get_queryset().filter(user=self.ctx.user)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([SCHEDULE.build(s) for s in page])

    @extend_schema(request=ScheduleInput, responses={201: SCHEDULE.schema()},
                   summary="Create an availability schedule for the acting user",
                   description="Weekly hours as Termin's weekly or meetergo's schedule (either "
                   "documented shape); date overrides as Termin's overrides or meetergo's "
                   "exceptions. Answers both shapes at once.")
    def create(self, request):
        data = self._validated(partial=False)
        schedule = schedules.schedule_create(
            company=self.ctx.company, user=self.ctx.user, **data
        )
        return Response(SCHEDULE.build(self._fresh(schedule)), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SCHEDULE.schema()})
    def retrieve(self, request, pk=None):
        return Response(SCHEDULE.build(self.get_object()))

    @extend_schema(request=ScheduleInput, responses={200: SCHEDULE.schema()},
                   summary="Change a schedule; weekly (or schedule) and the date overrides "
                   "(overrides, exceptions) are replaced whole")
    def partial_update(self, request, pk=None):
        schedule = self.get_object()
        data = self._validated(partial=True)
        schedule = schedules.schedule_update(schedule=schedule, **data)
        return Response(SCHEDULE.build(self._fresh(schedule)))

    @extend_schema(responses={200: SCHEDULE.schema()},
                   summary="Delete a schedule; answers the schedule as it was")
    def destroy(self, request, pk=None):
        schedule = self.get_object()
        body = SCHEDULE.build(schedule)
        schedules.schedule_delete(schedule=schedule)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = ScheduleInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs()

    def _fresh(self, schedule: AvailabilitySchedule) -> AvailabilitySchedule:
        return self.get_queryset().get(pk=schedule.pk)


@extend_schema(tags=["Availability"])
class BookingAvailabilityView(ApiView):
    """Free slots of a meeting type, as the meetergo code examples read them."""

    @extend_schema(
        summary="Free slots of a meeting type",
        parameters=SLOT_PARAMETERS,
        responses={200: SLOTS.schema()},
    )
    def get(self, request):
        return slots_response(request, self.ctx)
