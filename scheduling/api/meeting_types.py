"""``/v4/meeting-type`` and ``/v4/queue``.

A meeting type is read and written in Termin's flat fields (``title``,
``durations``, ``channels``, ...) and in meetergo's shapes at once: ``meetingInfo``
and ``meetingOptions`` (developer-docs/core-concepts/meeting-types,
api-reference/meeting-types/create-meeting-type) and the older flat ``{name,
duration, slug, description}``. Where two names say the same thing, they must
agree; a documented meetergo field Termin does not support is a 400 saying so.
"""

from collections import defaultdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..choices import Channel, QueueKind, Role
from ..core.api.base import ApiViewSet
from ..core.api.fields import StrictSerializer, UnsupportedField
from ..core.api.pagination import page_limit
from ..core.api.shapes import (
    Boolean,
    Choice,
    Instant,
    Integer,
    ListOf,
    Many,
    Mapping,
    One,
    Shape,
    Text,
    Url,
    Uuid,
    itself,
)
from ..core.text import SingleLineField
from ..filters import MeetingTypeFilterSet
from ..models import MeetingType, Queue
from ..payloads import meeting_type_url
from ..services import limits, meeting_types, queues
from .availability import InlineScheduleInput, schedule_service_kwargs
from .slots import BOOKING_LIMIT

# camelCase API name -> service keyword.
MEETING_TYPE_NAMES = {
    "title": "title", "slug": "slug", "description": "description", "durations": "durations",
    "defaultDuration": "default_duration", "slotInterval": "slot_interval",
    "bufferBefore": "buffer_before", "bufferAfter": "buffer_after",
    "minimumNotice": "minimum_notice", "maxDaysInAdvance": "max_days_in_advance",
    "dailyLimit": "daily_limit", "bookingLimits": "booking_limits",
    "channels": "channels", "locations": "locations",
    "formFields": "form_fields", "doubleOptIn": "double_opt_in",
    "requireHostConfirmation": "require_host_confirmation",
    "allowPhoneOnlyBooking": "allow_phone_only_booking", "icsTitle": "ics_title",
    "icsDescription": "ics_description", "hostIds": "host_ids", "queueId": "queue_id",
    "scheduleId": "schedule_id",
}
DEFAULT_TITLE = "30min Meeting"
_MISSING = object()
CHANNEL_HELP = (f"One of {', '.join(Channel.values)}; meetergo's google_meet, teams and "
                "in_person are read as google, teamsForBusiness2 and local")


BOOKING_LIMITS_HELP = (
    '[{"scope": "meetingType", "period": "week", "max": 5, "unit": "bookings"}]: scope '
    "meetingType (this meeting type's bookings of the host), host (all the host's bookings) "
    "or attendeeEmail (this meeting type's bookings with the attendee's email); period day, "
    "week (Monday to Sunday), month or year of the host's zone; unit bookings (default) or "
    "minutes (minutes booked). Replaces the list")


def _minutes(max_value: int, **kwargs):
    return serializers.IntegerField(min_value=0, max_value=max_value, required=False, **kwargs)


class MeetingInfoInput(StrictSerializer):
    """meetergo's ``meetingInfo``."""

    name = SingleLineField(max_length=200, required=False, help_text="The same as title")
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    duration = serializers.IntegerField(
        required=False, min_value=1, max_value=1440,
        help_text="Minutes: the default duration (added to the allowed durations)")
    channel = serializers.CharField(required=False, help_text=CHANNEL_HELP)
    bufferBefore = _minutes(1440)
    bufferAfter = _minutes(1440)
    color = UnsupportedField("booking pages take the company's colours")
    customChannelName = UnsupportedField("there is no custom channel")
    customChannelLink = UnsupportedField(
        "there is no custom channel: configure a video channel's link in locations")
    enableRedirect = UnsupportedField()
    redirect = UnsupportedField()
    passEventDetailsToRedirect = UnsupportedField()
    groupBooking = UnsupportedField()
    showAvailableSlots = UnsupportedField()
    enrichInvitee = UnsupportedField()
    confirmationButton = UnsupportedField()


class MeetingOptionsInput(StrictSerializer):
    """meetergo's ``meetingOptions``."""

    allowedDurations = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=1440), required=False,
        allow_empty=False, max_length=meeting_types.MAX_DURATIONS,
        help_text="The same as durations")
    allowedChannels = serializers.ListField(
        child=serializers.CharField(), required=False, allow_empty=False,
        help_text=f"The same as channels. {CHANNEL_HELP}")
    doubleOptIn = serializers.BooleanField(required=False)
    requireHostConfirmation = serializers.BooleanField(required=False)
    allowPhoneOnlyBooking = serializers.BooleanField(required=False)
    allowSelectChannel = UnsupportedField("several channels always let the attendee choose")
    allowHostSelection = UnsupportedField()
    forceHostSelection = UnsupportedField()
    allowAddingGuests = UnsupportedField()
    enableClusterMeeting = UnsupportedField()
    enableBufferCarryOver = UnsupportedField()
    maxBufferCarryOverDelay = UnsupportedField()
    confirmationPageCssSetting = UnsupportedField()
    bookingPagePassword = UnsupportedField()
    channelAvailabilities = UnsupportedField()


class RequestOptionsInput(StrictSerializer):
    """meetergo's ``options``."""

    createOneTimeLink = serializers.BooleanField(required=False)

    def validate_createOneTimeLink(self, value):
        if value:
            raise serializers.ValidationError(
                "Termin does not support making a one-time link with the meeting type: "
                "make it with POST /v4/one-time-booking-link/create/:meetingTypeId once "
                "the meeting type exists")
        return value


class MeetingTypeInput(StrictSerializer):
    title_required = True

    title = SingleLineField(max_length=200, required=False,
                            help_text="Required (or name, or meetingInfo.name)")
    name = SingleLineField(max_length=200, required=False,
                           help_text="meetergo's older flat shape: the same as title")
    duration = serializers.IntegerField(
        required=False, min_value=1, max_value=1440,
        help_text="meetergo's older flat shape: the same as meetingInfo.duration")
    channel = serializers.CharField(
        required=False, help_text=f"meetergo's flat shape (a new user's meetingType): the same "
        f"as meetingInfo.channel. {CHANNEL_HELP}")
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
        help_text="Most bookings of this meeting type per host and day; null: no limit. "
        "The same as the bookingLimits item {scope: meetingType, period: day, unit: bookings}")
    bookingLimits = serializers.JSONField(required=False, help_text=BOOKING_LIMITS_HELP)
    channels = serializers.JSONField(required=False, help_text=CHANNEL_HELP)
    locations = serializers.JSONField(
        required=False,
        help_text='[{"channel": "zoom", "link": "https://..."}, {"channel": "local", '
        '"address": "...", "name": "..."}, {"channel": "phone-incoming", "phone": "..."}]; '
        "meetergo's list of addresses ([\"Hauptstr. 1, Berlin\"]) is read as local locations")
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
    availabilityId = serializers.UUIDField(required=False, allow_null=True,
                                           help_text="meetergo's name for scheduleId")
    availability = InlineScheduleInput(
        required=False, help_text="meetergo's inline availability: a new schedule of the "
        "owner's for this meeting type only (not with availabilityId)")
    meetingInfo = MeetingInfoInput(required=False)
    meetingOptions = MeetingOptionsInput(required=False)
    options = RequestOptionsInput(required=False)
    metadata = UnsupportedField("meeting types keep no metadata")

    def validate(self, attrs):
        """meetergo's names folded into Termin's, then every shape error at once; the
        service checks them again for other callers."""
        errors: list[tuple[str, str]] = []
        info, opts = attrs.pop("meetingInfo", {}), attrs.pop("meetingOptions", {})
        attrs.pop("options", None)
        for target, sources in (
            ("title", [("name", attrs.pop("name", _MISSING)),
                       ("meetingInfo.name", info.get("name", _MISSING))]),
            ("description", [("meetingInfo.description", info.get("description", _MISSING))]),
            ("bufferBefore", [("meetingInfo.bufferBefore", info.get("bufferBefore", _MISSING))]),
            ("bufferAfter", [("meetingInfo.bufferAfter", info.get("bufferAfter", _MISSING))]),
            ("scheduleId", [("availabilityId", attrs.pop("availabilityId", _MISSING))]),
            ("durations", [("meetingOptions.allowedDurations",
                            opts.get("allowedDurations", _MISSING))]),
            *((name, [(f"meetingOptions.{name}", opts.get(name, _MISSING))])
              for name in ("doubleOptIn", "requireHostConfirmation", "allowPhoneOnlyBooking")),
        ):
            _merge(attrs, target, sources, errors)
        duration = _merged_duration(attrs, info, errors)
        channel_paths = _fold_channels(attrs, info, opts, errors)
        if not self.partial and self.title_required and "title" not in attrs:
            errors.append(("title", "This field is required."))
        _raise(errors)
        if duration is not None:
            self._apply_duration(attrs, duration)
        if "locations" in attrs:
            attrs["locations"] = _locations(attrs["locations"])
        elif channel_paths and self.stored is not None:
            # A new channel drops the stored locations of channels no longer offered.
            attrs["locations"] = [loc for loc in self.stored.locations
                                  if loc.get("channel") in attrs["channels"]]
        _raise(self._shape_errors(attrs, channel_paths))
        return attrs

    @property
    def stored(self) -> MeetingType | None:
        return self.context.get("meeting_type")

    def _apply_duration(self, attrs: dict, duration: int) -> None:
        """meetergo's duration is the default and always one of the durations."""
        attrs["defaultDuration"] = duration
        if isinstance(attrs.get("durations"), list):
            if duration not in attrs["durations"]:
                attrs["durations"] = [*attrs["durations"], duration]
        elif self.stored is not None:
            attrs["durations"] = meeting_types.durations_for_default(
                self.stored.durations, duration)
        else:
            attrs["durations"] = [duration]

    def _shape_errors(self, attrs: dict, channel_paths: list[str]) -> list:
        errors = []
        if "durations" in attrs or "defaultDuration" in attrs:
            errors += meeting_types.normalize_durations(
                attrs.get("durations"), attrs.get("defaultDuration"))[2]
        if "locations" in attrs or "channels" in attrs:
            found = meeting_types.normalize_locations(
                attrs.get("locations", []), attrs.get("channels"))[2]
            if self.partial and "locations" not in attrs:
                # A PATCH of channels alone is checked against the stored locations by
                # the service; here only the locations sent are known.
                found = [e for e in found if not e[0].startswith("channels")]
            errors += [(_channel_path(field, channel_paths), message)
                       for field, message in found]
        if "formFields" in attrs:
            errors += meeting_types.normalize_form_fields(attrs["formFields"])[1]
        return errors

    def to_service_kwargs(self) -> dict:
        return meeting_type_service_kwargs(self.validated_data)


def meeting_type_service_kwargs(validated: dict) -> dict:
    """A validated meeting-type body as ``meeting_type_create``'s keywords."""
    data = dict(validated)
    availability = data.pop("availability", None)
    data = {MEETING_TYPE_NAMES[key]: value for key, value in data.items()}
    for name in ("queue_id", "schedule_id"):
        if data.get(name) is not None:
            data[name] = str(data[name])
    if availability is not None:
        data["availability"] = schedule_service_kwargs(availability)
    return data


def _merge(attrs: dict, target: str, sources: list, errors: list) -> None:
    """One value sent under several names (Termin's and meetergo's): they must agree."""
    sent = [(target, attrs[target])] if target in attrs else []
    sent += [(path, value) for path, value in sources if value is not _MISSING]
    if not sent:
        return
    first_path, first = sent[0]
    for path, value in sent[1:]:
        if value != first:
            errors.append((path, f"{first_path} says otherwise: send one of them"))
    attrs[target] = first


def _merged_duration(attrs: dict, info: dict, errors: list) -> int | None:
    """meetergo's ``duration`` (flat or in ``meetingInfo``), checked against
    ``defaultDuration``."""
    sent = {"duration": attrs.pop("duration", _MISSING),
            "meetingInfo.duration": info.get("duration", _MISSING)}
    if "defaultDuration" in attrs:
        sent = {"defaultDuration": attrs["defaultDuration"], **sent}
    present = [(path, value) for path, value in sent.items() if value is not _MISSING]
    if not present or present[0][0] == "defaultDuration" and len(present) == 1:
        return None
    for path, value in present[1:]:
        if value != present[0][1]:
            errors.append((path, f"{present[0][0]} says otherwise: send one of them"))
    return present[0][1]


def _fold_channels(attrs: dict, info: dict, opts: dict, errors: list) -> list[str]:
    """Channels by either document's names; returns the field each channel came from
    (meetergo's ``channel`` first), so errors name what was sent."""
    sent: list[tuple[str, object]] = []
    if "channel" in attrs:
        sent.append(("channel", attrs.pop("channel")))
    if "channel" in info:
        if sent and sent[0][1] != info["channel"]:
            errors.append(("meetingInfo.channel", "channel says otherwise: send one of them"))
        elif not sent:
            sent.append(("meetingInfo.channel", info["channel"]))
    sent += [(f"meetingOptions.allowedChannels.{i}", value)
             for i, value in enumerate(opts.get("allowedChannels", []))]
    if "channels" in attrs:
        if sent:
            errors.append(("channels", "Send channels or meetergo's channel (meetingInfo."
                                       "channel) and meetingOptions.allowedChannels, not both"))
            return []
        if not isinstance(attrs["channels"], list):
            return []  # the shape check names it
        sent = [(f"channels.{i}", value) for i, value in enumerate(attrs["channels"])]
    elif not sent:
        return []
    channels, paths = [], []
    for path, value in sent:
        channel, error = meeting_types.channel_name(value)
        if error:
            errors.append((path, error))
        elif channel not in channels:
            channels.append(channel)
            paths.append(path)
    attrs["channels"] = channels
    return paths


def _channel_path(field: str, paths: list[str]) -> str:
    """``channels.N`` from the shape check, named as the client sent that channel."""
    head, _, index = field.partition(".")
    if head == "channels" and index.isdigit() and int(index) < len(paths):
        return paths[int(index)]
    return field


def _locations(value):
    """meetergo's addresses (strings) as local locations; Termin's objects as sent."""
    if not isinstance(value, list):
        return value
    return [{"channel": Channel.LOCAL.value, "address": item} if isinstance(item, str) else item
            for item in value]


def _raise(errors) -> None:
    if errors:
        grouped = defaultdict(list)
        for field, message in errors:
            grouped[field].append(message)
        raise serializers.ValidationError(dict(grouped))


MEETING_INFO = Shape("MeetingInfo", {
    "name": Text("title"),
    "description": Text("description"),
    "duration": Integer("default_duration"),
    "channel": Text(lambda mt: mt.channels[0] if mt.channels else None,
                    "The first of channels", null=True),
    "bufferBefore": Integer("buffer_before"),
    "bufferAfter": Integer("buffer_after"),
})
MEETING_OPTIONS = Shape("MeetingOptions", {
    "allowedDurations": ListOf(Integer, "durations"),
    "allowedChannels": ListOf(Text, "channels"),
    "doubleOptIn": Boolean("double_opt_in"),
    "requireHostConfirmation": Boolean("require_host_confirmation"),
    "allowPhoneOnlyBooking": Boolean("allow_phone_only_booking"),
})
# A meeting type in Termin's and meetergo's shapes at once (``hosts``, ``queue``,
# ``schedule`` and ``owner`` should be loaded with it).
MEETING_TYPE = Shape("MeetingType", {
    "id": Uuid("uuid"),
    "type": Text("kind", "one_on_one, round_robin or co_host"),
    "title": Text("title"),
    "name": Text("title", "meetergo's flat shape: the title"),
    "slug": Text("slug"),
    "description": Text("description"),
    "duration": Integer("default_duration", "meetergo's flat shape: defaultDuration"),
    "meetingInfo": One(MEETING_INFO, itself),
    "meetingOptions": One(MEETING_OPTIONS, itself),
    "durations": ListOf(Integer, "durations", "Allowed durations in minutes"),
    "defaultDuration": Integer("default_duration"),
    "slotInterval": Integer("slot_interval", "Minutes between slot starts; null: the duration",
                            null=True),
    "bufferBefore": Integer("buffer_before"),
    "bufferAfter": Integer("buffer_after"),
    "minimumNotice": Integer("minimum_notice", "Minutes between now and the earliest slot"),
    "maxDaysInAdvance": Integer("max_days_in_advance", null=True),
    "dailyLimit": Integer(lambda mt: limits.daily_limit_of(mt.booking_limits),
                          "The bookingLimits item {meetingType, day, bookings}", null=True),
    "bookingLimits": Many(BOOKING_LIMIT, "booking_limits", BOOKING_LIMITS_HELP),
    "channels": ListOf(Text, "channels", CHANNEL_HELP),
    "locations": ListOf(Mapping, "locations"),
    "formFields": ListOf(Mapping, "form_fields"),
    "doubleOptIn": Boolean("double_opt_in"),
    "requireHostConfirmation": Boolean("require_host_confirmation"),
    "allowPhoneOnlyBooking": Boolean("allow_phone_only_booking"),
    "icsTitle": Text("ics_title"),
    "icsDescription": Text("ics_description"),
    "hostIds": ListOf(Uuid, lambda mt: [str(host.uuid) for host in mt.hosts.all()],
                      "One-on-one hosts (user ids)"),
    "queueId": Uuid("queue.uuid", null=True),
    "scheduleId": Uuid("schedule.uuid", "Hours for every host; null: each host's default "
                       "schedule", null=True),
    "availabilityId": Uuid("schedule.uuid", "scheduleId", null=True),
    "ownerId": Uuid("owner.uuid", null=True),
    "userId": Uuid("owner.uuid", "The owner (ownerId)", null=True),
    "bookingUrl": Url(meeting_type_url, null=True),
    "createdAt": Instant("created_at"),
    "updatedAt": Instant("updated_at"),
})


@extend_schema(tags=["Meeting types"])
class MeetingTypeViewSet(ApiViewSet):
    queryset = MeetingType.objects.none()  # for the schema; requests use get_queryset()
    not_found = "Meeting type not found"
    serializer_class = MeetingTypeInput
    pagination_class = None  # meetergo's list is a bare array
    filtersets = {"list": MeetingTypeFilterSet}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            MeetingType.objects.filter(company=self.ctx.company)
            .select_related("queue", "schedule", "owner")
            .prefetch_related("hosts")
            .order_by("created_at", "pk")
        )

    def owner_id(self, meeting_type: MeetingType) -> int:
        return meeting_type.owner_id

    @extend_schema(
        summary="Meeting types, as meetergo lists them: a bare array",
        description="With x-meetergo-api-user-id (as meetergo's clients send it), the meeting "
        "types of that user: those they host, directly or through a queue, or own. Without "
        "it, every meeting type of the company. hostId and ownerId narrow the list; page "
        "and limit, when sent, pick a slice of it.",
        parameters=[
            OpenApiParameter("page", int, required=False, description="From 1, with limit"),
            OpenApiParameter("limit", int, required=False, description="1-100"),
        ],
        responses={200: MEETING_TYPE.schema(many=True)},
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        if "page" in request.query_params or "limit" in request.query_params:
            page, limit = page_limit(request)
            queryset = queryset[(page - 1) * limit: page * limit]
        return Response([MEETING_TYPE.build(mt) for mt in queryset])

    @extend_schema(request=MeetingTypeInput, responses={201: MEETING_TYPE.schema()},
                   summary="Create a meeting type, in Termin's or meetergo's shapes",
                   description="meetergo's {meetingInfo: {name, description, duration, "
                   "channel, bufferBefore, bufferAfter}, meetingOptions: {allowedDurations, "
                   "allowedChannels}, slug, availabilityId} and its older flat {name, "
                   "duration, slug, description} work as well as Termin's fields; names for "
                   "the same thing must agree. A taken slug is a 409 \"A meeting type with "
                   "this slug already exists\".")
    def create(self, request):
        data = self._validated(partial=False)
        meeting_type = meeting_types.meeting_type_create(
            company=self.ctx.company, actor=self.ctx, **data
        )
        return Response(self._fresh(meeting_type), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MEETING_TYPE.schema()})
    def retrieve(self, request, pk=None):
        return Response(MEETING_TYPE.build(self.get_object()))

    @extend_schema(request=MeetingTypeInput, responses={200: MEETING_TYPE.schema()},
                   summary="Change a meeting type; the same shapes as create",
                   description="meetergo's duration alone replaces a single duration (and "
                   "joins several); a new channel drops the stored locations of channels "
                   "no longer offered.")
    def partial_update(self, request, pk=None):
        meeting_type = self.get_object()
        data = self._validated(partial=True, meeting_type=meeting_type)
        meeting_type = meeting_types.meeting_type_update(
            meeting_type=meeting_type, actor=self.ctx, **data
        )
        return Response(self._fresh(meeting_type))

    @extend_schema(responses={200: MEETING_TYPE.schema()},
                   summary="Delete a meeting type; answers it as it was")
    def destroy(self, request, pk=None):
        meeting_type = self.get_object()
        body = MEETING_TYPE.build(meeting_type)
        meeting_types.meeting_type_delete(meeting_type=meeting_type)
        return Response(body)

    def _validated(self, *, partial: bool, meeting_type: MeetingType | None = None) -> dict:
        serializer = MeetingTypeInput(data=self.request.data, partial=partial,
                                      context={"meeting_type": meeting_type})
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs()

    def _fresh(self, meeting_type: MeetingType) -> dict:
        return MEETING_TYPE.build(self.get_queryset().get(pk=meeting_type.pk))


# --- queues ------------------------------------------------------------------------


class QueueInput(StrictSerializer):
    name = SingleLineField(max_length=200)
    type = serializers.ChoiceField(choices=QueueKind.choices, required=False,
                                   default=QueueKind.ROUND_ROBIN)
    memberIds = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    def to_service_kwargs(self) -> dict:
        names = {"name": "name", "type": "kind", "memberIds": "member_ids"}
        return {names[key]: value for key, value in self.validated_data.items()}


QUEUE = Shape("Queue", {
    "id": Uuid("uuid"),
    "name": Text("name"),
    "type": Choice(QueueKind.choices, "kind"),
    "memberIds": ListOf(Uuid, lambda queue: [str(m.user.uuid) for m in queue.memberships.all()]),
    "createdAt": Instant("created_at"),
})


@extend_schema(tags=["Queues"])
class QueueViewSet(ApiViewSet):
    queryset = Queue.objects.none()  # for the schema; requests use get_queryset()
    not_found = "Queue not found"
    serializer_class = QueueInput
    required_roles = {"create": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Queue.objects.filter(company=self.ctx.company)
            .prefetch_related("memberships__user").order_by("created_at", "pk")
        )

    @extend_schema(responses={200: QUEUE.schema()})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([QUEUE.build(q) for q in page])

    @extend_schema(request=QueueInput, responses={201: QUEUE.schema()})
    def create(self, request):
        data = self._validated(partial=False)
        queue = queues.queue_create(company=self.ctx.company, actor=self.ctx, **data)
        return Response(QUEUE.build(self._fresh(queue)), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: QUEUE.schema()})
    def retrieve(self, request, pk=None):
        return Response(QUEUE.build(self.get_object()))

    @extend_schema(request=QueueInput, responses={200: QUEUE.schema()},
                   summary="Change a queue; memberIds replaces the members")
    def partial_update(self, request, pk=None):
        queue = self.get_object()
        data = self._validated(partial=True)
        queue = queues.queue_update(queue=queue, actor=self.ctx, **data)
        return Response(QUEUE.build(self._fresh(queue)))

    @extend_schema(responses={200: QUEUE.schema()},
                   summary="Delete a queue no meeting type uses; answers it as it was")
    def destroy(self, request, pk=None):
        queue = self.get_object()
        body = QUEUE.build(queue)
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
