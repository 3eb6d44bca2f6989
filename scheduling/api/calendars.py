"""``/v4/calendar-connections``: external calendars whose events are busy time, and
the acting user's secret feed of their appointments.

Members see and manage their own connections (a feed address is a secret that
reads someone's calendar); admins and owners see and manage all of the company's.
"""


from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from ..choices import Role
from ..core.api.base import ApiViewSet
from ..core.api.shapes import Choice, Instant, Integer, Shape, Text, Url, Uuid
from ..filters import CalendarConnectionFilterSet
from ..models import CalendarConnection, CalendarConnectionType
from ..services import calendars


class CalendarConnectionInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=CalendarConnectionType.values,
                                   default=CalendarConnectionType.ICS)
    # A plain string: http or https only, judged by the SSRF guard in the service.
    url = serializers.CharField(max_length=2000,
                                help_text="The calendar's iCalendar (.ics) address, http or https")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


def connection_status(connection: CalendarConnection) -> str:
    if connection.last_error_at is not None:
        return "error"
    return "ok" if connection.last_synced_at is not None else "pending"


CONNECTION = Shape("CalendarConnection", {
    "id": Uuid("uuid"),
    "userId": Uuid("user.uuid"),
    "type": Choice(CalendarConnectionType.values, "type"),
    "url": Text("url"),
    "name": Text("name"),
    "status": Choice(["pending", "ok", "error"], connection_status,
                     "pending: never read yet; error: the last fetch failed (the last good "
                     "busy times still count)"),
    "lastSyncedAt": Instant("last_synced_at", null=True),
    "lastError": Text(lambda connection: connection.last_error or None, null=True),
    "lastErrorAt": Instant("last_error_at", null=True),
    "busyCount": Integer("busy_count", "Busy intervals stored from the feed"),
    "createdAt": Instant("created_at"),
})
FEED = Shape("CalendarFeed", {
    "url": Url(calendars.feed_url, "Secret address of the acting user's appointments as an "
               "iCalendar feed; subscribe to it from any calendar"),
    "createdAt": Instant("created_at"),
    "regeneratedAt": Instant("regenerated_at"),
})


@extend_schema(tags=["Calendar Connections"])
class CalendarConnectionViewSet(ApiViewSet):
    queryset = CalendarConnection.objects.none()  # for the schema; requests use get_queryset()
    not_found = "Calendar connection not found"
    serializer_class = CalendarConnectionInput
    filtersets = {"list": CalendarConnectionFilterSet}
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        found = CalendarConnection.objects.filter(company=self.ctx.company).select_related("user")
        if not self.ctx.has_role(Role.ADMIN):
            found = found.filter(user=self.ctx.user)
        return found

    def owner_id(self, connection: CalendarConnection) -> int:
        return connection.user_id

    @extend_schema(
        responses={200: CONNECTION.schema()},
        summary="List calendar connections (a member sees their own)",
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([CONNECTION.build(c) for c in page])

    @extend_schema(request=CalendarConnectionInput, responses={201: CONNECTION.schema()},
                   summary="Connect an iCalendar feed to the acting user; its first sync "
                   "is queued")
    def create(self, request):
        serializer = CalendarConnectionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        connection = calendars.connection_create(
            company=self.ctx.company, user=self.ctx.user, **serializer.validated_data)
        return Response(CONNECTION.build(connection), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CONNECTION.schema()})
    def retrieve(self, request, pk=None):
        return Response(CONNECTION.build(self.get_object()))

    @extend_schema(responses={200: CONNECTION.schema()},
                   summary="Disconnect a calendar (its busy times go); answers it as it was")
    def destroy(self, request, pk=None):
        connection = self.get_object()
        body = CONNECTION.build(connection)
        calendars.connection_delete(connection=connection)
        return Response(body)

    @extend_schema(request=None, responses={202: CONNECTION.schema()},
                   summary="Read the calendar again now (queued)")
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        connection = self.get_object()
        calendars.connection_sync_later(connection=connection)
        return Response(CONNECTION.build(connection), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: FEED.schema()},
                   summary="The secret iCalendar feed address of the acting user's appointments")
    @action(detail=False, methods=["get"])
    def feed(self, request):
        feed = calendars.feed_get(user=self.ctx.user, company=self.ctx.company)
        return Response(FEED.build(feed))

    @extend_schema(request=None, responses={200: FEED.schema()},
                   summary="A new secret feed address; the old one stops working")
    @action(detail=False, methods=["post"], url_path="feed/regenerate")
    def feed_regenerate(self, request):
        return Response(FEED.build(calendars.feed_regenerate(user=self.ctx.user,
                                                             company=self.ctx.company)))
