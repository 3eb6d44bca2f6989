"""``POST /v4/one-time-booking-link/create/:meetingTypeId`` (meetergo's path): a
link to the meeting type's page that books it once."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from .. import selectors
from ..core.api.base import ApiView
from ..core.api.fields import StrictSerializer
from ..core.api.shapes import Instant, Shape, Text, Url, Uuid
from ..core.lookups import parse_uuid
from ..payloads import meeting_type_url
from ..services import one_time_links
from .slots import InstantField


class OneTimeLinkInput(StrictSerializer):
    expiresAt = InstantField(
        required=False, allow_null=True,
        help_text="When an unused link stops working (ISO 8601 with offset, within a year); "
        "missing: 30 days from now; null: never")


ONE_TIME_LINK = Shape("OneTimeBookingLink", {
    "id": Uuid("uuid"),
    "url": Url(one_time_links.one_time_link_url, "The link to send: it books once"),
    "token": Text("token", "The link's last path segment"),
    "meetingTypeId": Uuid("meeting_type.uuid"),
    "bookingUrl": Url(lambda link: meeting_type_url(link.meeting_type),
                      "The meeting type's own (reusable) page", null=True),
    "expiresAt": Instant("expires_at", null=True),
    "usedAt": Instant("used_at", null=True),
    "appointmentId": Uuid("appointment.uuid", "The booking made through it", null=True),
    "createdAt": Instant("created_at"),
})


@extend_schema(tags=["Meeting types"])
class OneTimeLinkCreateView(ApiView):
    """Owners and admins, the meeting type's owner and its hosts may make one."""

    @extend_schema(request=OneTimeLinkInput, responses={201: ONE_TIME_LINK.schema()},
                   summary="Make a one-time booking link to a meeting type's page",
                   description="The link books the meeting type once; afterwards, or once "
                   "expired, it shows a page saying so. Of two bookings racing through it, "
                   "one is made.")
    def post(self, request, meeting_type_id: str):
        serializer = OneTimeLinkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting_type = selectors.meeting_type_get(company=self.ctx.company,
                                                  meeting_type_id=parse_uuid(meeting_type_id))
        data = serializer.validated_data
        link = one_time_links.one_time_link_create(
            meeting_type=meeting_type, actor=self.ctx, expires_at=data.get("expiresAt"),
            never_expires="expiresAt" in data and data["expiresAt"] is None)
        return Response(ONE_TIME_LINK.build(link), status=status.HTTP_201_CREATED)
