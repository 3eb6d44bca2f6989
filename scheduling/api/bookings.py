"""``POST /v4/booking`` (reference/meetergo-create-booking.txt).

Where the documents disagree on what is required (the code examples send
``fullname`` and omit ``hostIds``, ``receiveReminders`` and ``notes``), the
request is accepted and the field defaulted: the meeting type's own host or
queue, ``true``, ``{}``.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from .. import selectors
from ..choices import Channel
from ..core.api.base import ApiView
from ..core.api.fields import StrictSerializer, TimezoneField
from ..core.api.shapes import OMIT, Choice, Shape, Text, Url, Uuid
from ..core.text import SingleLineField
from ..models import AppointmentStatus
from ..services import bookings, rules
from .slots import InstantField

BOOKING_TYPES = {AppointmentStatus.PENDING_OPTIN: "DoubleOptIn",
                 AppointmentStatus.PENDING_HOST: "RequireHostConfirmation"}


def _text(max_length: int, **kwargs):
    return serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                 max_length=max_length, **kwargs)


def _line(max_length: int, **kwargs):
    """Text that stays on one line (names, titles): control characters folded."""
    return SingleLineField(required=False, allow_blank=True, allow_null=True,
                           max_length=max_length, **kwargs)


class BookingAttendeeInput(StrictSerializer):
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True,
                                   max_length=254)
    firstname = _line(150)
    lastname = _line(150)
    fullname = _line(300, help_text="Alternative to firstname/lastname")
    phone = _text(64)
    receiveReminders = serializers.BooleanField(required=False, default=True)
    notes = serializers.DictField(
        required=False, default=dict,
        help_text="Form answers by form field key, UTM keys (utm_source, utm_medium, "
        "utm_campaign, utm_content, utm_term), address for local-attendee")
    language = _text(10)
    timezone = TimezoneField(required=False, allow_null=True)
    bringalongEmails = serializers.ListField(child=serializers.EmailField(), required=False,
                                             max_length=rules.MAX_BRINGALONG)


def attendee_input(data: dict) -> bookings.AttendeeInput:
    first, last = data.get("firstname") or "", data.get("lastname") or ""
    if not (first or last) and data.get("fullname"):
        first, last = bookings.split_name(data["fullname"])
    return bookings.AttendeeInput(
        email=data.get("email") or "", first_name=first.strip(), last_name=last.strip(),
        phone=data.get("phone") or "", receive_reminders=data.get("receiveReminders", True),
        notes=data.get("notes") or {}, language=data.get("language") or "",
        timezone=data.get("timezone") or "",
    )


class BookingInput(StrictSerializer):
    meetingTypeId = serializers.UUIDField()
    start = InstantField(help_text="ISO 8601 with offset, e.g. 2024-01-15T09:00:00+01:00")
    attendee = BookingAttendeeInput()
    hostIds = serializers.ListField(child=serializers.CharField(), required=False,
                                    allow_null=True)
    queueId = serializers.UUIDField(required=False, allow_null=True)
    duration = serializers.IntegerField(required=False, allow_null=True,
                                        help_text="Minutes; one of the meeting type's durations")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_null=True)
    location = _text(500)
    skipNotifications = serializers.BooleanField(required=False, default=False)
    phoneOnlyBooking = serializers.BooleanField(required=False, default=False)
    bringalongEmails = serializers.ListField(child=serializers.EmailField(), required=False,
                                             max_length=rules.MAX_BRINGALONG)
    icsTitle = _line(200)
    icsDescription = _text(2000)


def _confirmed(value):
    """A key of a booking that holds its slot at once (else left out)."""
    return lambda result: OMIT if result.appointment.status in BOOKING_TYPES else value(result)


def _provisional(value):
    """A key of a provisional booking (else left out)."""
    return lambda result: value(result) if result.appointment.status in BOOKING_TYPES else OMIT


# One of two answers: the appointment with its secret, or a provisional booking.
BOOKING = Shape("BookingCreated", {
    "appointmentId": Uuid(_confirmed(lambda r: str(r.appointment.uuid)), required=False),
    "secret": Text(_confirmed(lambda r: r.secret), "Shown once: cancels or reschedules the "
                   "appointment without a key (x-appointment-secret)", required=False),
    "id": Uuid(_confirmed(lambda r: str(r.appointment.uuid)), required=False),
    "meetingLink": Url(_confirmed(lambda r: r.appointment.meeting_link or OMIT),
                       required=False),
    "bookingType": Choice(list(BOOKING_TYPES.values()),
                          _provisional(lambda r: BOOKING_TYPES[r.appointment.status]),
                          required=False),
    "provisionalBookingId": Uuid(_provisional(lambda r: str(r.appointment.uuid)),
                                 required=False),
})


@extend_schema(tags=["Bookings"])
class BookingView(ApiView):
    """Any member of the key's company may book any of its meeting types."""

    @extend_schema(request=BookingInput, responses={201: BOOKING.schema()},
                   summary="Book a slot: 201 with the appointment, or with a provisional "
                   "booking when the meeting type wants double opt-in or host confirmation")
    def post(self, request):
        serializer = BookingInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting_type = selectors.meeting_type_get(company=self.ctx.company,
                                                  meeting_type_id=data["meetingTypeId"])
        attendee_data = data["attendee"]
        result = bookings.booking_create(
            company=self.ctx.company, meeting_type=meeting_type, start=data["start"],
            attendee=attendee_input(attendee_data),
            duration=data.get("duration"), host_ids=data.get("hostIds"),
            queue_id=data.get("queueId"), channel=data.get("channel"),
            location=data.get("location"), skip_notifications=data["skipNotifications"],
            phone_only=data["phoneOnlyBooking"],
            bringalong_emails=[*attendee_data.get("bringalongEmails", []),
                               *data.get("bringalongEmails", [])],
            ics_title=data.get("icsTitle") or "", ics_description=data.get("icsDescription") or "",
        )
        return Response(BOOKING.build(result), status=status.HTTP_201_CREATED)
