"""``/v4/appointment`` (for members, with a key) and ``/v4/public/appointment``
(for attendees holding the appointment's secret, without a key)."""

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from .. import publiclimits
from ..choices import Channel
from ..models import Appointment, AppointmentStatus
from ..services import appointments as services
from .base import ApiView, ApiViewSet
from .fields import OffsetDateTimeField
from .slots import DateOrDateTimeField

SECRET_HEADER = "x-appointment-secret"

class AppointmentAttendee(serializers.Serializer):
    """An attendee as appointments and booking events show them."""

    attendeeId = serializers.UUIDField()
    email = serializers.EmailField(allow_null=True)
    firstname = serializers.CharField()
    lastname = serializers.CharField()
    fullname = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    language = serializers.CharField(allow_null=True)
    timezone = serializers.CharField(allow_null=True)
    receiveReminders = serializers.BooleanField()
    notes = serializers.DictField()

def _appointment_fields(*, internal: bool) -> dict:
    fields = {
    "id": serializers.UUIDField(),
    "appointmentId": serializers.UUIDField(),
    "meetingTypeId": serializers.UUIDField(allow_null=True),
    "meetingTypeTitle": serializers.CharField(),
    "status": serializers.ChoiceField(choices=AppointmentStatus.choices),
    "start": serializers.DateTimeField(),
    "end": serializers.DateTimeField(),
    "duration": serializers.IntegerField(),
    "channel": serializers.CharField(),
    "location": serializers.CharField(allow_null=True),
    "meetingLink": serializers.URLField(allow_null=True),
    "icsTitle": serializers.CharField(),
    "icsDescription": serializers.CharField(),
    "hostIds": serializers.ListField(child=serializers.UUIDField()),
    "attendee": AppointmentAttendee(),
    "attendees": AppointmentAttendee(many=True),
    "bringalongEmails": serializers.ListField(child=serializers.EmailField()),
    "expiresAt": serializers.DateTimeField(allow_null=True),
    "confirmedAt": serializers.DateTimeField(allow_null=True),
    "cancelledAt": serializers.DateTimeField(allow_null=True),
    "cancelReason": serializers.CharField(allow_null=True),
    "noShow": serializers.BooleanField(),
    "createdAt": serializers.DateTimeField(),
    "updatedAt": serializers.DateTimeField(),
    }
    if internal:
        fields.update(internalNote=serializers.CharField(), source=serializers.CharField(),
                      skipNotifications=serializers.BooleanField())
    return fields


AppointmentOutput = inline_serializer("Appointment", _appointment_fields(internal=True))
PublicOutput = inline_serializer("PublicAppointment", _appointment_fields(internal=False))


class AppointmentQuery(serializers.Serializer):
    start = DateOrDateTimeField(required=False)
    end = DateOrDateTimeField(required=False)
    hostId = serializers.UUIDField(required=False)
    meetingTypeId = serializers.UUIDField(required=False)


class AppointmentPatch(serializers.Serializer):
    start = OffsetDateTimeField(required=False, help_text="A new start reschedules in place")
    duration = serializers.IntegerField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    location = serializers.CharField(required=False, allow_blank=True, max_length=500)
    icsTitle = serializers.CharField(required=False, allow_blank=True, max_length=200)
    icsDescription = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    internalNote = serializers.CharField(required=False, allow_blank=True, max_length=10000)

    NAMES = {"channel": "channel", "location": "location", "icsTitle": "ics_title",
             "icsDescription": "ics_description", "internalNote": "internal_note"}

    def to_service_kwargs(self) -> dict:
        data = self.validated_data
        kwargs = {self.NAMES[k]: v for k, v in data.items() if k in self.NAMES}
        return {"start": data.get("start"), "duration": data.get("duration"), **kwargs}


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                   max_length=2000)
    notifyAttendees = serializers.BooleanField(required=False, default=True)


class RescheduleInput(serializers.Serializer):
    start = OffsetDateTimeField()
    duration = serializers.IntegerField(required=False)


def _body(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _statuses(request) -> list[str]:
    values = []
    for raw in request.query_params.getlist("status"):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    unknown = sorted(set(values) - set(AppointmentStatus.values))
    if unknown:
        raise serializers.ValidationError(
            {"status": [f"Unknown status: {', '.join(unknown)}; one of "
                        f"{', '.join(AppointmentStatus.values)}"]})
    return values


def _instant(value, *, end: bool) -> dt.datetime:
    """A date reads as UTC midnight (``end`` inclusive: the next midnight)."""
    if isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


@extend_schema(tags=["Appointments"], parameters=[
    OpenApiParameter("id", str, OpenApiParameter.PATH, description="The appointment's id"),
])
class AppointmentViewSet(ApiViewSet):
    """Every member reads the company's appointments; members change the ones they
    host, admins and owners all of them."""

    queryset = Appointment.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = AppointmentPatch
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return services.appointments_queryset(self.ctx.company).order_by("start", "pk")

    def get_object(self) -> Appointment:
        appointment = services.appointment_get(company=self.ctx.company,
                                               appointment_id=self.kwargs["pk"])
        self.check_object_permissions(self.request, appointment)
        return appointment

    def owner_id(self, appointment: Appointment):
        """The acting member when they host it (what RolePermission compares)."""
        user_id = self.ctx.user.pk
        return user_id if any(h.pk == user_id for h in appointment.hosts.all()) else None

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="Appointments ending after this "
                             "(date or datetime with offset)"),
            OpenApiParameter("end", str, description="Appointments starting before this "
                             "(date, inclusive, or datetime with offset)"),
            OpenApiParameter("hostId", str, description="Only this host's appointments"),
            OpenApiParameter("meetingTypeId", str),
            OpenApiParameter("status", str, many=True,
                             description="Repeat or comma-separate; default: all statuses",
                             enum=AppointmentStatus.values),
        ],
        responses={200: AppointmentOutput},
    )
    def list(self, request):
        query = AppointmentQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = self.get_queryset()
        if "start" in params:
            rows = rows.filter(end__gt=_instant(params["start"], end=False))
        if "end" in params:
            rows = rows.filter(start__lt=_instant(params["end"], end=True))
        if "hostId" in params:
            rows = rows.filter(host_rows__host__uuid=params["hostId"])
        if "meetingTypeId" in params:
            rows = rows.filter(meeting_type__uuid=params["meetingTypeId"])
        statuses = _statuses(request)
        if statuses:
            rows = rows.filter(status__in=statuses)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([services.appointment_payload(a) for a in page])

    @extend_schema(responses={200: AppointmentOutput})
    def retrieve(self, request, pk=None):
        return Response(services.appointment_payload(self.get_object()))

    @extend_schema(request=AppointmentPatch, responses={200: AppointmentOutput},
                   summary="Reschedule (a new start or duration, same id) or edit")
    def partial_update(self, request, pk=None):
        appointment = self.get_object()
        kwargs = _patch(request)
        appointment = services.appointment_update(appointment=appointment, **kwargs)
        return self._answer(appointment)

    @extend_schema(request=CancelInput, responses={200: AppointmentOutput},
                   summary="Cancel; answers the cancelled appointment")
    def destroy(self, request, pk=None):
        appointment = self.get_object()
        data = _body(request, CancelInput)
        appointment = services.appointment_cancel(
            appointment=appointment, reason=data.get("reason") or "",
            notify_attendees=data["notifyAttendees"])
        return self._answer(appointment)

    @extend_schema(request=None, responses={200: AppointmentOutput},
                   summary="Confirm a provisional booking (host confirmation or the "
                   "attendee's double opt-in)")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._answer(services.appointment_confirm(appointment=self.get_object()))

    @extend_schema(request=CancelInput, responses={200: AppointmentOutput},
                   summary="Decline a provisional booking")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        appointment = self.get_object()
        data = _body(request, CancelInput)
        return self._answer(services.appointment_decline(
            appointment=appointment, reason=data.get("reason") or ""))

    @extend_schema(request=None, responses={200: AppointmentOutput},
                   summary="Mark the attendee as a no-show")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._answer(services.appointment_no_show(appointment=self.get_object()))

    def _answer(self, appointment: Appointment) -> Response:
        fresh = services.appointment_get(company=self.ctx.company,
                                         appointment_id=appointment.uuid)
        return Response(services.appointment_payload(fresh))


def _patch(request) -> dict:
    serializer = AppointmentPatch(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_service_kwargs()


# --- attendees, with the secret instead of a key -----------------------------------------


SECRET_PARAMETER = OpenApiParameter(
    SECRET_HEADER, str, OpenApiParameter.HEADER, required=True,
    description="The secret returned when the appointment was booked")


class ClientAddressThrottle(BaseThrottle):
    """Every attendee request spends a token of its client address (publiclimits)."""

    def allow_request(self, request, view) -> bool:
        self.seconds = publiclimits.address_wait(request)
        return not self.seconds

    def wait(self):
        return self.seconds


class PublicApiView(ApiView):
    """No key: the appointment's secret in ``x-appointment-secret`` authorises, and
    requests are limited per client address instead of per key."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    def throttled(self, request, wait):
        # The documented 429 body with Retry-After (api/errors.py).
        raise exceptions.Throttled(wait, detail="Too many requests from this address.")

    def initial(self, request, *args, **kwargs):
        # Idempotency-Key is kept per company and key holder; attendees have neither.
        APIView.initial(self, request, *args, **kwargs)

    def appointment(self, pk) -> Appointment:
        return services.appointment_for_attendee(
            appointment_id=pk, secret=self.request.headers.get(SECRET_HEADER))

    def answer(self, appointment: Appointment) -> Response:
        fresh = services.appointment_for_attendee(
            appointment_id=appointment.uuid, secret=self.request.headers.get(SECRET_HEADER))
        return Response(services.appointment_payload(fresh, internal=False))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentView(PublicApiView):
    @extend_schema(responses={200: PublicOutput}, summary="The appointment, for its attendee")
    def get(self, request, pk):
        return Response(services.appointment_payload(self.appointment(pk), internal=False))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentCancelView(PublicApiView):
    @extend_schema(request=CancelInput, responses={200: PublicOutput},
                   summary="The attendee cancels")
    def post(self, request, pk):
        appointment = self.appointment(pk)
        data = _body(request, CancelInput)
        return self.answer(services.appointment_cancel(
            appointment=appointment, reason=data.get("reason") or "",
            notify_attendees=data["notifyAttendees"], by_attendee=True))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentRescheduleView(PublicApiView):
    @extend_schema(request=RescheduleInput, responses={200: PublicOutput},
                   summary="The attendee moves the appointment to another free slot")
    def post(self, request, pk):
        appointment = self.appointment(pk)
        data = _body(request, RescheduleInput)
        return self.answer(services.appointment_reschedule(
            appointment=appointment, start=data["start"], duration=data.get("duration")))
