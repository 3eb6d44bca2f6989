"""``/v4/meeting-type`` and ``/v4/queue``."""

import uuid
from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..choices import QueueKind, Role
from ..errors import NotFound
from ..models import MeetingType, Queue
from ..services import meeting_types, queues
from ..text import SingleLineField
from ..timeutils import iso
from .base import ApiViewSet

# camelCase API name -> service keyword.
MEETING_TYPE_NAMES = {
    "title": "title", "slug": "slug", "description": "description", "durations": "durations",
    "defaultDuration": "default_duration", "slotInterval": "slot_interval",
    "bufferBefore": "buffer_before", "bufferAfter": "buffer_after",
    "minimumNotice": "minimum_notice", "maxDaysInAdvance": "max_days_in_advance",
    "dailyLimit": "daily_limit", "channels": "channels", "locations": "locations",
    "formFields": "form_fields", "doubleOptIn": "double_opt_in",
    "requireHostConfirmation": "require_host_confirmation",
    "allowPhoneOnlyBooking": "allow_phone_only_booking", "icsTitle": "ics_title",
    "icsDescription": "ics_description", "hostIds": "host_ids", "queueId": "queue_id",
    "scheduleId": "schedule_id",
}


def _minutes(max_value: int, **kwargs):
    return serializers.IntegerField(min_value=0, max_value=max_value, required=False, **kwargs)


class MeetingTypeInput(serializers.Serializer):
    title = SingleLineField(max_length=200)
    slug = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    durations = serializers.JSONField(required=False, help_text="Allowed durations in minutes")
    defaultDuration = serializers.IntegerField(required=False, min_value=1, max_value=1440)
    slotInterval = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1440,
        help_text="Minutes between slot starts; null: the duration")
    bufferBefore = _minutes(1440)
    bufferAfter = _minutes(1440)
    minimumNotice = _minutes(525600, help_text="Minutes between now and the earliest slot")
    maxDaysInAdvance = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=730,
        help_text="Slots start within this many days (24 h) from now; null: no limit")
    dailyLimit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=1000,
        help_text="Most bookings of this meeting type per host and day; null: no limit")
    channels = serializers.JSONField(required=False)
    locations = serializers.JSONField(
        required=False,
        help_text='[{"channel": "zoom", "link": "https://..."}, {"channel": "local", '
        '"address": "...", "name": "..."}, {"channel": "phone-incoming", "phone": "..."}]')
    formFields = serializers.JSONField(
        required=False,
        help_text='[{"key": "company", "label": "Company", "type": "text", "required": true}]')
    doubleOptIn = serializers.BooleanField(required=False)
    requireHostConfirmation = serializers.BooleanField(required=False)
    allowPhoneOnlyBooking = serializers.BooleanField(required=False)
    icsTitle = SingleLineField(max_length=200, required=False, allow_blank=True)
    icsDescription = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    hostIds = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="One-on-one hosts (user ids)")
    queueId = serializers.UUIDField(required=False, help_text="A queue instead of hosts")
    scheduleId = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="Hours for every host; null: each host's default schedule")

    def validate(self, attrs):
        """Every shape error at once; the service checks them again for other callers."""
        errors = []
        if "durations" in attrs or "defaultDuration" in attrs:
            errors += meeting_types.normalize_durations(
                attrs.get("durations"), attrs.get("defaultDuration"))[2]
        if "locations" in attrs or "channels" in attrs:
            errors += meeting_types.normalize_locations(
                attrs.get("locations", []), attrs.get("channels"))[2]
        if "formFields" in attrs:
            errors += meeting_types.normalize_form_fields(attrs["formFields"])[1]
        if self.partial:
            # A PATCH of channels alone is checked against the stored locations by
            # the service; here only the locations sent are known.
            errors = [e for e in errors if not e[0].startswith("channels")]
        _raise(errors)
        return attrs

    def to_service_kwargs(self) -> dict:
        data = {MEETING_TYPE_NAMES[key]: value for key, value in self.validated_data.items()}
        for name in ("queue_id", "schedule_id"):
            if data.get(name) is not None:
                data[name] = str(data[name])
        return data


def _raise(errors) -> None:
    if errors:
        grouped = defaultdict(list)
        for field, message in errors:
            grouped[field].append(message)
        raise serializers.ValidationError(dict(grouped))


MeetingTypeOutput = inline_serializer(
    "MeetingType",
    {
        "id": serializers.UUIDField(),
        "type": serializers.CharField(help_text="one_on_one, round_robin or co_host"),
        **{name: serializers.JSONField() for name in MEETING_TYPE_NAMES},
        "ownerId": serializers.UUIDField(),
        "bookingUrl": serializers.URLField(),
        "createdAt": serializers.DateTimeField(),
        "updatedAt": serializers.DateTimeField(),
    },
)


def meeting_type_payload(mt: MeetingType) -> dict:
    """A meeting type as the API shows it (``hosts``, ``queue``, ``schedule`` and
    ``owner`` should be loaded with it)."""
    return {
        "id": str(mt.uuid),
        "type": mt.kind,
        "title": mt.title,
        "slug": mt.slug,
        "description": mt.description,
        "durations": mt.durations,
        "defaultDuration": mt.default_duration,
        "slotInterval": mt.slot_interval,
        "bufferBefore": mt.buffer_before,
        "bufferAfter": mt.buffer_after,
        "minimumNotice": mt.minimum_notice,
        "maxDaysInAdvance": mt.max_days_in_advance,
        "dailyLimit": mt.daily_limit,
        "channels": mt.channels,
        "locations": mt.locations,
        "formFields": mt.form_fields,
        "doubleOptIn": mt.double_opt_in,
        "requireHostConfirmation": mt.require_host_confirmation,
        "allowPhoneOnlyBooking": mt.allow_phone_only_booking,
        "icsTitle": mt.ics_title,
        "icsDescription": mt.ics_description,
        "hostIds": [str(host.uuid) for host in mt.hosts.all()],
        "queueId": str(mt.queue.uuid) if mt.queue_id else None,
        "scheduleId": str(mt.schedule.uuid) if mt.schedule_id else None,
        "ownerId": str(mt.owner.uuid) if mt.owner_id else None,
        "bookingUrl": f"{settings.SITE_URL}/{mt.owner.slug}/{mt.slug}" if mt.owner_id else None,
        "createdAt": iso(mt.created_at),
        "updatedAt": iso(mt.updated_at),
    }


def _parse_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@extend_schema(tags=["Meeting types"])
class MeetingTypeViewSet(ApiViewSet):
    queryset = MeetingType.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = MeetingTypeInput
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            MeetingType.objects.filter(company=self.ctx.company)
            .select_related("queue", "schedule", "owner")
            .prefetch_related("hosts")
            .order_by("created_at", "pk")
        )

    def get_object(self) -> MeetingType:
        found = self.get_queryset().filter(uuid=_parse_uuid(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound("Meeting type not found")
        self.check_object_permissions(self.request, found)
        return found

    def owner_id(self, meeting_type: MeetingType) -> int:
        return meeting_type.owner_id

    @extend_schema(
        parameters=[
            OpenApiParameter("hostId", str, required=False,
                             description="Only meeting types this user hosts (queues included)"),
            OpenApiParameter("ownerId", str, required=False),
        ],
        responses={200: MeetingTypeOutput},
    )
    def list(self, request):
        queryset = self.get_queryset()
        if "hostId" in request.query_params:
            host = _parse_uuid(request.query_params["hostId"])
            queryset = queryset.filter(
                Q(hosts__uuid=host) | Q(queue__members__uuid=host)
            ).distinct()
        if "ownerId" in request.query_params:
            queryset = queryset.filter(owner__uuid=_parse_uuid(request.query_params["ownerId"]))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([meeting_type_payload(mt) for mt in page])

    @extend_schema(request=MeetingTypeInput, responses={201: MeetingTypeOutput})
    def create(self, request):
        data = self._validated(partial=False)
        meeting_type = meeting_types.meeting_type_create(
            company=self.ctx.company, actor=self.ctx, **data
        )
        return Response(self._fresh(meeting_type), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MeetingTypeOutput})
    def retrieve(self, request, pk=None):
        return Response(meeting_type_payload(self.get_object()))

    @extend_schema(request=MeetingTypeInput, responses={200: MeetingTypeOutput})
    def partial_update(self, request, pk=None):
        meeting_type = self.get_object()
        data = self._validated(partial=True)
        meeting_type = meeting_types.meeting_type_update(
            meeting_type=meeting_type, actor=self.ctx, **data
        )
        return Response(self._fresh(meeting_type))

    @extend_schema(responses={200: MeetingTypeOutput},
                   summary="Delete a meeting type; answers it as it was")
    def destroy(self, request, pk=None):
        meeting_type = self.get_object()
        body = meeting_type_payload(meeting_type)
        meeting_types.meeting_type_delete(meeting_type=meeting_type)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = MeetingTypeInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs()

    def _fresh(self, meeting_type: MeetingType) -> dict:
        return meeting_type_payload(self.get_queryset().get(pk=meeting_type.pk))


# --- queues ------------------------------------------------------------------------


class QueueInput(serializers.Serializer):
    name = SingleLineField(max_length=200)
    type = serializers.ChoiceField(choices=QueueKind.choices, required=False,
                                   default=QueueKind.ROUND_ROBIN)
    memberIds = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    def to_service_kwargs(self) -> dict:
        names = {"name": "name", "type": "kind", "memberIds": "member_ids"}
        return {names[key]: value for key, value in self.validated_data.items()}


QueueOutput = inline_serializer(
    "Queue",
    {
        "id": serializers.UUIDField(),
        "name": serializers.CharField(),
        "type": serializers.ChoiceField(choices=QueueKind.choices),
        "memberIds": serializers.ListField(child=serializers.UUIDField()),
        "createdAt": serializers.DateTimeField(),
    },
)


def queue_payload(queue: Queue) -> dict:
    return {
        "id": str(queue.uuid),
        "name": queue.name,
        "type": queue.kind,
        "memberIds": [str(m.user.uuid) for m in queue.memberships.all()],
        "createdAt": iso(queue.created_at),
    }


@extend_schema(tags=["Queues"])
class QueueViewSet(ApiViewSet):
    queryset = Queue.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = QueueInput
    required_roles = {"create": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Queue.objects.filter(company=self.ctx.company)
            .prefetch_related("memberships__user").order_by("created_at", "pk")
        )

    def get_object(self) -> Queue:
        found = self.get_queryset().filter(uuid=_parse_uuid(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound("Queue not found")
        self.check_object_permissions(self.request, found)
        return found

    @extend_schema(responses={200: QueueOutput})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([queue_payload(q) for q in page])

    @extend_schema(request=QueueInput, responses={201: QueueOutput})
    def create(self, request):
        data = self._validated(partial=False)
        queue = queues.queue_create(company=self.ctx.company, actor=self.ctx, **data)
        return Response(queue_payload(self._fresh(queue)), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: QueueOutput})
    def retrieve(self, request, pk=None):
        return Response(queue_payload(self.get_object()))

    @extend_schema(request=QueueInput, responses={200: QueueOutput},
                   summary="Change a queue; memberIds replaces the members")
    def partial_update(self, request, pk=None):
        queue = self.get_object()
        data = self._validated(partial=True)
        queue = queues.queue_update(queue=queue, actor=self.ctx, **data)
        return Response(queue_payload(self._fresh(queue)))

    @extend_schema(responses={200: QueueOutput},
                   summary="Delete a queue no meeting type uses; answers it as it was")
    def destroy(self, request, pk=None):
        queue = self.get_object()
        body = queue_payload(queue)
        queues.queue_delete(queue=queue, actor=self.ctx)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = QueueInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_service_kwargs()
        if partial:  # defaults apply to create only
            data = {k: v for k, v in data.items() if _sent(self.request.data, k)}
        return data

    def _fresh(self, queue: Queue) -> Queue:
        return self.get_queryset().get(pk=queue.pk)


def _sent(body, service_name: str) -> bool:
    api = {"name": "name", "kind": "type", "member_ids": "memberIds"}[service_name]
    return api in body
