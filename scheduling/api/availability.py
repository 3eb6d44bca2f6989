"""``/v4/availability``: availability schedules, and the slots of a meeting type.

``GET /v4/availability`` answers two questions, as the meetergo overview has it:
with ``meetingTypeId`` it returns free slots (exactly like
``GET /v4/booking-availability``), without it the acting user's schedules.
"""

import uuid
from collections import defaultdict

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..errors import NotFound
from ..models import AvailabilitySchedule
from ..services import schedules
from ..timeutils import iso
from .base import ApiView, ApiViewSet
from .fields import TimezoneField
from .slots import SLOT_PARAMETERS, SlotsOutput, slots_response

INTERVAL_EXAMPLE = [{"start": "09:00", "end": "17:00"}]


class ScheduleInput(serializers.Serializer):
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

    def validate(self, attrs):
        errors = []
        if "weekly" in attrs:
            attrs["weekly"], found = schedules.normalize_weekly(attrs["weekly"])
            errors += found
        if "overrides" in attrs:
            attrs["overrides"], found = schedules.normalize_overrides(attrs["overrides"])
            errors += found
        if errors:
            grouped = defaultdict(list)
            for field, message in errors:
                grouped[field].append(message)
            raise serializers.ValidationError(dict(grouped))
        return attrs

    def to_service_kwargs(self) -> dict:
        names = {"isDefault": "is_default", "timezone": "timezone_name"}
        return {names.get(key, key): value for key, value in self.validated_data.items()}


ScheduleOutput = inline_serializer(
    "AvailabilitySchedule",
    {
        "id": serializers.UUIDField(),
        "userId": serializers.UUIDField(),
        "name": serializers.CharField(),
        "timezone": serializers.CharField(),
        "isDefault": serializers.BooleanField(),
        "weekly": serializers.JSONField(),
        "overrides": serializers.JSONField(),
        "createdAt": serializers.DateTimeField(),
        "updatedAt": serializers.DateTimeField(),
    },
)


def schedule_payload(schedule: AvailabilitySchedule) -> dict:
    weekly = {day: schedule.weekly.get(day, []) for day in schedules.WEEKDAYS}
    return {
        "id": str(schedule.uuid),
        "userId": str(schedule.user.uuid),
        "name": schedule.name,
        "timezone": schedule.timezone,
        "isDefault": schedule.is_default,
        "weekly": weekly,
        "overrides": [
            {"date": o.date.isoformat(), "intervals": o.intervals}
            for o in schedule.overrides.all()
        ],
        "createdAt": iso(schedule.created_at),
        "updatedAt": iso(schedule.updated_at),
    }


@extend_schema(tags=["Availability"])
class AvailabilityViewSet(ApiViewSet):
    queryset = AvailabilitySchedule.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = ScheduleInput
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            AvailabilitySchedule.objects.filter(company=self.ctx.company)
            .select_related("user").prefetch_related("overrides")
        )

    def get_object(self) -> AvailabilitySchedule:
        try:
            schedule_uuid = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            schedule_uuid = None
        schedule = self.get_queryset().filter(uuid=schedule_uuid).first()
        if schedule is None:
            raise NotFound("Availability schedule not found")
        self.check_object_permissions(self.request, schedule)
        return schedule

    def owner_id(self, schedule: AvailabilitySchedule) -> int:
        return schedule.user_id

    @extend_schema(
        summary="Free slots of a meeting type (with meetingTypeId), else your schedules",
        parameters=[
            *SLOT_PARAMETERS,
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: SlotsOutput},
    )
    def list(self, request):
        if "meetingTypeId" in request.query_params:
            return slots_response(request, self.ctx)
        queryset = self.get_queryset().filter(user=self.ctx.user)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([schedule_payload(s) for s in page])

    @extend_schema(request=ScheduleInput, responses={201: ScheduleOutput},
                   summary="Create an availability schedule for the acting user")
    def create(self, request):
        data = self._validated(partial=False)
        schedule = schedules.schedule_create(
            company=self.ctx.company, user=self.ctx.user, **data
        )
        return Response(schedule_payload(self._fresh(schedule)), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ScheduleOutput})
    def retrieve(self, request, pk=None):
        return Response(schedule_payload(self.get_object()))

    @extend_schema(request=ScheduleInput, responses={200: ScheduleOutput},
                   summary="Change a schedule; weekly and overrides are replaced whole")
    def partial_update(self, request, pk=None):
        schedule = self.get_object()
        data = self._validated(partial=True)
        schedule = schedules.schedule_update(schedule=schedule, **data)
        return Response(schedule_payload(self._fresh(schedule)))

    @extend_schema(responses={200: ScheduleOutput},
                   summary="Delete a schedule; answers the schedule as it was")
    def destroy(self, request, pk=None):
        schedule = self.get_object()
        body = schedule_payload(schedule)
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
        responses={200: SlotsOutput},
    )
    def get(self, request):
        return slots_response(request, self.ctx)
