"""``/v4/calendar-connections``: external calendars whose events are busy time (an
iCalendar feed, or a CalDAV account whose chosen calendars are read live and one
of which receives bookings), and the acting user's secret feed of their
appointments.

Members see and manage their own connections (a feed address is a secret that
reads someone's calendar); admins and owners see and manage all of the company's.
A CalDAV account's username and password are never shown.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from ..choices import Role
from ..core.api.base import ApiViewSet
from ..core.api.fields import StrictSerializer
from ..core.api.shapes import (
    Boolean,
    Choice,
    Instant,
    Integer,
    Many,
    One,
    Shape,
    Text,
    Url,
    Uuid,
)
from ..core.timeutils import iso
from ..filters import CalendarConnectionFilterSet
from ..models import CalendarConnection, CalendarConnectionType
from ..services import caldav, caldav_writes, calendars


class CalendarConnectionInput(StrictSerializer):
    type = serializers.ChoiceField(choices=CalendarConnectionType.values,
                                   default=CalendarConnectionType.ICS)
    # A plain string: http or https only, judged by the SSRF guard in the service.
    url = serializers.CharField(max_length=2000,
                                help_text="ics: the calendar's iCalendar (.ics) address, http or "
                                "https; caldav: the CalDAV server (https), e.g. "
                                "https://caldav.fastmail.com/ or the account's principal URL")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    username = serializers.CharField(max_length=200, required=False, trim_whitespace=False,
                                     help_text="caldav only: the account's username")
    password = serializers.CharField(max_length=500, required=False, trim_whitespace=False,
                                     write_only=True,
                                     help_text="caldav only: the account's password, e.g. an "
                                     "app-specific password; stored encrypted, never shown")

    def validate(self, data):
        given = [name for name in ("username", "password") if name in data]
        if data.get("type") != CalendarConnectionType.CALDAV and given:
            raise serializers.ValidationError(
                {name: ["Only a caldav connection takes this"] for name in given})
        if data.get("type") == CalendarConnectionType.CALDAV:
            missing = [name for name in ("username", "password") if not data.get(name)]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required."] for name in missing})
        return data


class CalendarConnectionPatch(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    username = serializers.CharField(max_length=200, required=False, trim_whitespace=False,
                                     help_text="caldav only: new credentials (the calendars "
                                     "are found again with them)")
    password = serializers.CharField(max_length=500, required=False, trim_whitespace=False,
                                     write_only=True)
    busyCalendarIds = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=100,
        help_text="caldav only: the calendars whose events are busy time; the others are not")
    bookingCalendarId = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="caldav only: the calendar bookings are written into; null for none")


def connection_status(connection) -> str:
    """Of a connection, or of one of a CalDAV connection's calendars."""
    if connection.last_error_at is not None:
        return "error"
    return "ok" if connection.last_synced_at is not None else "pending"


def _calendars(connection: CalendarConnection) -> list:
    return list(connection.caldav_calendars.all())


def _booking_calendar_id(connection: CalendarConnection) -> str | None:
    return next((str(c.uuid) for c in _calendars(connection) if c.receives_bookings), None)


def _writes(connection: CalendarConnection) -> dict | None:
    if connection.type != CalendarConnectionType.CALDAV:
        return None
    return caldav_writes.writes_status(connection)


CALDAV_CALENDAR = Shape("CalDAVCalendar", {
    "id": Uuid("uuid"),
    "name": Text("name"),
    "url": Text("url"),
    "busy": Boolean("busy", "Its events are busy time"),
    "receivesBookings": Boolean("receives_bookings"),
    "freeBusy": Boolean("free_busy", "Whether the server answers free-busy queries on it "
                        "(null: not asked yet; the calendar receiving bookings is read by "
                        "event query)", null=True),
    "status": Choice(["pending", "ok", "error"], connection_status),
    "lastSyncedAt": Instant("last_synced_at", null=True),
    "lastError": Text(lambda calendar: calendar.last_error or None, null=True),
    "lastErrorAt": Instant("last_error_at", null=True),
    "busyCount": Integer("busy_count", "Busy intervals stored from it"),
})
WRITES = Shape("CalendarWrites", {
    "pending": Integer(lambda writes: writes["pending"],
                       "Bookings not yet in line with the calendar (retried)"),
    "lastError": Text(lambda writes: writes["lastError"], null=True),
    "lastErrorAt": Instant(lambda writes: iso(writes["lastErrorAt"]), null=True),
})


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
    "calendars": Many(CALDAV_CALENDAR, _calendars,
                      "caldav: the account's calendars with events; ics: empty"),
    "bookingCalendarId": Uuid(_booking_calendar_id, "caldav: the calendar bookings are "
                              "written into", null=True),
    "writes": One(WRITES, _writes, "caldav: how writing bookings goes; ics: null", null=True),
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
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        found = (CalendarConnection.objects.filter(company=self.ctx.company)
                 .select_related("user").prefetch_related("caldav_calendars"))
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
                   summary="Connect an iCalendar feed or a CalDAV account to the acting user "
                   "(a CalDAV account's calendars are found at once); its first read is "
                   "queued")
    def create(self, request):
        serializer = CalendarConnectionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["type"] == CalendarConnectionType.CALDAV:
            connection = caldav.connection_create(
                company=self.ctx.company, user=self.ctx.user, url=data["url"],
                username=data["username"], password=data["password"],
                name=data.get("name", ""))
        else:
            connection = calendars.connection_create(
                company=self.ctx.company, user=self.ctx.user, **data)
        return Response(CONNECTION.build(connection), status=status.HTTP_201_CREATED)

    @extend_schema(request=CalendarConnectionPatch, responses={200: CONNECTION.schema()},
                   summary="Rename a connection; for a CalDAV account, choose its busy "
                   "calendars and the one that receives bookings, or give new credentials")
    def partial_update(self, request, pk=None):
        connection = self.get_object()
        serializer = CalendarConnectionPatch(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = {"name": data.get("name"), "username": data.get("username"),
                   "password": data.get("password"),
                   "busy_calendar_ids": data.get("busyCalendarIds")}
        if "bookingCalendarId" in data:
            changes["booking_calendar_id"] = data["bookingCalendarId"]
        caldav.connection_update(connection=connection, **changes)
        return Response(CONNECTION.build(self.get_object()))

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
