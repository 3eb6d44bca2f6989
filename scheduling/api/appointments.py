"""``/v4/appointment`` (for members, with a key) and ``/v4/public/appointment``
(for attendees holding the appointment's secret, without a key).

Members' paths follow meetergo's appointment pages as well as Termin's own:
``/paginated``, ``/today`` and ``/current`` answer the acting user's appointments in
meetergo's shapes; ``POST .../cancel`` and ``DELETE`` are one cancel;
``POST .../reschedule`` and ``PATCH .../guest-emails`` are meetergo's. Every
appointment answer carries meetergo's documented fields beside Termin's
(``payloads.APPOINTMENT``)."""


from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from .. import publiclimits, selectors
from ..choices import Channel, Role
from ..core.api.base import ApiView, ApiViewSet
from ..core.api.fields import OffsetDateTimeField, StrictSerializer
from ..core.api.pagination import MAX_PAGE
from ..core.api.shapes import Integer, Many, One, Shape, itself, key
from ..filters import AppointmentFilterSet, HostedAppointmentFilterSet
from ..models import Appointment
from ..payloads import APPOINTMENT, APPOINTMENT_FOR_ATTENDEE
from ..services import appointments as services
from ..services.rules import MAX_BRINGALONG

SECRET_HEADER = "x-appointment-secret"
IGNORE_AVAILABILITY_ROLE = "ignoreAvailability is allowed to owners and admins only"


# --- answers ---------------------------------------------------------------------------


# meetergo's answers around the one Appointment shape.
APPOINTMENT_PAGE = Shape("AppointmentPage", {
    "appointments": Many(APPOINTMENT, key("appointments")),
    "total": Integer(key("total")),
    "page": Integer(key("page"), "From 0, as asked"),
    "pageSize": Integer(key("pageSize")),
})
RESCHEDULED = Shape("RescheduledAppointment", {
    "appointment": One(APPOINTMENT, itself),
})
APPOINTMENT_OR_NULL = {"allOf": [APPOINTMENT.ref], "nullable": True}


# --- requests --------------------------------------------------------------------------


class PaginatedQuery(serializers.Serializer):
    """meetergo's ``/paginated`` pages (``limit`` as the bookings page sends it); its
    filters are ``HostedAppointmentFilterSet``'s."""

    page = serializers.IntegerField(min_value=0, max_value=MAX_PAGE, default=0)
    pageSize = serializers.IntegerField(min_value=1, max_value=100, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)

    def validate(self, data):
        if "pageSize" in data and "limit" in data and data["pageSize"] != data["limit"]:
            raise serializers.ValidationError(
                {"limit": ["limit is another name of pageSize: send one of them"]})
        return data

    def page_size(self) -> int:
        data = self.validated_data
        return data.get("pageSize") or data.get("limit") or 20


class AppointmentPatch(StrictSerializer):
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


class CancelInput(StrictSerializer):
    """The attendee's cancel (``/v4/public/appointment/:id/cancel``)."""

    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                   max_length=2000)
    notifyAttendees = serializers.BooleanField(required=False, default=True)


class AppointmentCancelInput(StrictSerializer):
    """``POST /v4/appointment/:id/cancel`` and ``DELETE /v4/appointment/:id``."""

    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                   max_length=2000)
    notifyAttendees = serializers.BooleanField(required=False, default=True)
    attendeeId = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="One attendee leaves: a bring-along guest is removed and the appointment "
        "goes on; the booker's id cancels the whole appointment")
    cancelAll = serializers.BooleanField(
        required=False, help_text="Cancel the whole appointment (also what leaving out "
        "attendeeId does: Termin has no group bookings)")
    cancelEntireSeries = serializers.BooleanField(
        required=False, help_text="Termin has no recurring series: true is a 400")

    def validate_cancelEntireSeries(self, value):  # noqa: N802 - the field's name
        if value:
            raise serializers.ValidationError(
                "Termin has no recurring series: cancelEntireSeries is not supported")
        return value

    def validate(self, data):
        if data.get("attendeeId") and data.get("cancelAll"):
            raise serializers.ValidationError({"cancelAll": [
                "Send attendeeId (one attendee leaves) or cancelAll (the whole "
                "appointment), not both"]})
        return data


class DeclineInput(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                   max_length=2000)


class RescheduleInput(StrictSerializer):
    """The attendee's reschedule (``/v4/public/appointment/:id/reschedule``)."""

    start = OffsetDateTimeField()
    duration = serializers.IntegerField(required=False)


class AppointmentRescheduleInput(StrictSerializer):
    """``POST /v4/appointment/:id/reschedule``: the duration stays as it is."""

    start = OffsetDateTimeField()
    ignoreAvailability = serializers.BooleanField(
        required=False, default=False,
        help_text="Owners and admins only (403 otherwise): skip the slot rules, never the "
        "rule that a host holds one appointment at a time")


class GuestEmailsInput(StrictSerializer):
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), allow_empty=False,
        max_length=MAX_BRINGALONG,
        help_text=f"Bring-along guests to add; at most {MAX_BRINGALONG} guests in all")


def _body(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.data if request.data is not None else {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(tags=["Appointments"], parameters=[
    OpenApiParameter("id", str, OpenApiParameter.PATH, description="The appointment's id"),
])
class AppointmentViewSet(ApiViewSet):
    """Every member reads the company's appointments; members change the ones they
    host, admins and owners all of them."""

    queryset = Appointment.objects.none()  # for the schema; requests use get_queryset()
    filtersets = {"list": AppointmentFilterSet, "paginated": HostedAppointmentFilterSet}
    serializer_class = AppointmentPatch
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.appointments_for_payload(company=self.ctx.company).order_by("start", "pk")

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
        responses={200: APPOINTMENT.schema()},
        summary="The company's appointments (Termin's list: page from 1, limit)",
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([APPOINTMENT.build(a) for a in page])

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="From 0", default=0),
            OpenApiParameter("pageSize", int, description="1-100", default=20),
            OpenApiParameter("limit", int, description="Another name of pageSize (meetergo's "
                             "bookings page sends it)"),
        ],
        responses={200: APPOINTMENT_PAGE.schema()},
        summary="meetergo's paginated list: the acting user's appointments, pages from 0",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def paginated(self, request):
        rows = self.filter_queryset(self.get_queryset())
        query = PaginatedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, size = query.validated_data["page"], query.page_size()
        total = rows.count()
        chosen = list(rows[page * size:(page + 1) * size]) if page * size < total else []
        return Response(APPOINTMENT_PAGE.build({"appointments": chosen, "total": total,
                                                "page": page, "pageSize": size}))

    @extend_schema(responses={200: APPOINTMENT.schema(many=True)},
                   operation_id="v4_appointment_today_retrieve",
                   summary="The acting user's appointments of today (in their time zone) "
                   "that take place, earliest first")
    @action(detail=False, methods=["get"], pagination_class=None)
    def today(self, request):
        rows = services.appointments_today(company=self.ctx.company, user=self.ctx.user)
        return Response([APPOINTMENT.build(a) for a in rows])

    @extend_schema(
        responses={200: OpenApiResponse(
            APPOINTMENT_OR_NULL, description="The acting user's confirmed appointment in "
            "progress, or null (the JSON literal) when there is none")},
        summary="The acting user's appointment in progress, or null")
    @action(detail=False, methods=["get"], pagination_class=None)
    def current(self, request):
        appointment = services.appointment_current(company=self.ctx.company,
                                                   user=self.ctx.user)
        if appointment is None:
            # A JSON null, not an empty body: ``await response.json()`` gives null.
            return HttpResponse(b"null", content_type="application/json")
        return Response(APPOINTMENT.build(appointment))

    @extend_schema(responses={200: APPOINTMENT.schema()})
    def retrieve(self, request, pk=None):
        return Response(APPOINTMENT.build(self.get_object()))

    @extend_schema(request=AppointmentPatch, responses={200: APPOINTMENT.schema()},
                   summary="Reschedule (a new start or duration, same id) or edit")
    def partial_update(self, request, pk=None):
        appointment = self.get_object()
        kwargs = _patch(request)
        appointment = services.appointment_update(appointment=appointment, **kwargs)
        return self._answer(appointment)

    @extend_schema(request=AppointmentCancelInput, responses={200: APPOINTMENT.schema()},
                   summary="Cancel (as POST .../cancel); answers the appointment")
    def destroy(self, request, pk=None):
        return self._cancel(request)

    @extend_schema(request=AppointmentCancelInput, responses={200: APPOINTMENT.schema()},
                   summary="Cancel the appointment, or remove one bring-along guest "
                   "(attendeeId); answers the appointment")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._cancel(request)

    def _cancel(self, request) -> Response:
        appointment = self.get_object()
        data = _body(request, AppointmentCancelInput)
        appointment = services.appointment_cancel(
            appointment=appointment, reason=data.get("reason") or "",
            notify_attendees=data["notifyAttendees"], actor=self.ctx.user,
            attendee_id=data.get("attendeeId"))
        return self._answer(appointment)

    @extend_schema(request=AppointmentRescheduleInput, responses={200: RESCHEDULED.schema()},
                   summary="Move to a new start, same duration; answers {appointment}")
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        appointment = self.get_object()
        data = _body(request, AppointmentRescheduleInput)
        ignore = data["ignoreAvailability"]
        if ignore and not self.ctx.has_role(Role.ADMIN):
            raise exceptions.PermissionDenied(IGNORE_AVAILABILITY_ROLE)
        moved = services.appointment_reschedule(appointment=appointment, start=data["start"],
                                                ignore_availability=ignore)
        return Response(RESCHEDULED.build(self._fresh(moved)))

    @extend_schema(
        request=GuestEmailsInput,
        responses={200: APPOINTMENT.schema(), 409: OpenApiResponse(
            {"$ref": "#/components/schemas/Error"},
            description="The appointment is cancelled, declined or expired")},
        summary="Add bring-along guests; each gets the invitation")
    @action(detail=True, methods=["patch"], url_path="guest-emails")
    def guest_emails(self, request, pk=None):
        appointment = self.get_object()
        data = _body(request, GuestEmailsInput)
        return self._answer(services.appointment_guests_add(appointment=appointment,
                                                            emails=data["emails"]))

    @extend_schema(request=None, responses={200: APPOINTMENT.schema()},
                   summary="Confirm a provisional booking (host confirmation or the "
                   "attendee's double opt-in)")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._answer(services.appointment_confirm(appointment=self.get_object()))

    @extend_schema(request=DeclineInput, responses={200: APPOINTMENT.schema()},
                   summary="Decline a provisional booking")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        appointment = self.get_object()
        data = _body(request, DeclineInput)
        return self._answer(services.appointment_decline(
            appointment=appointment, reason=data.get("reason") or "", actor=self.ctx.user))

    @extend_schema(request=None, responses={200: APPOINTMENT.schema()},
                   summary="Mark the attendee as a no-show")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._answer(services.appointment_no_show(appointment=self.get_object()))

    def _fresh(self, appointment: Appointment) -> Appointment:
        return services.appointment_get(company=self.ctx.company,
                                        appointment_id=appointment.uuid)

    def _answer(self, appointment: Appointment) -> Response:
        return Response(APPOINTMENT.build(self._fresh(appointment)))


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
        return Response(APPOINTMENT_FOR_ATTENDEE.build(fresh))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentView(PublicApiView):
    @extend_schema(responses={200: APPOINTMENT_FOR_ATTENDEE.schema()},
                   summary="The appointment, for its attendee")
    def get(self, request, pk):
        return Response(APPOINTMENT_FOR_ATTENDEE.build(self.appointment(pk)))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentCancelView(PublicApiView):
    @extend_schema(request=CancelInput, responses={200: APPOINTMENT_FOR_ATTENDEE.schema()},
                   summary="The attendee cancels")
    def post(self, request, pk):
        appointment = self.appointment(pk)
        data = _body(request, CancelInput)
        return self.answer(services.appointment_cancel(
            appointment=appointment, reason=data.get("reason") or "",
            notify_attendees=data["notifyAttendees"], by_attendee=True))


@extend_schema(tags=["Appointments (attendees)"], parameters=[SECRET_PARAMETER])
class PublicAppointmentRescheduleView(PublicApiView):
    @extend_schema(request=RescheduleInput, responses={200: APPOINTMENT_FOR_ATTENDEE.schema()},
                   summary="The attendee moves the appointment to another free slot")
    def post(self, request, pk):
        appointment = self.appointment(pk)
        data = _body(request, RescheduleInput)
        return self.answer(services.appointment_reschedule(
            appointment=appointment, start=data["start"], duration=data.get("duration")))
