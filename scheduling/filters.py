"""FilterSets of scheduling's lists: one per model, read by the API's lists and the
schema (``scheduling/core/api/filters.py`` says how a filter reads its parameter)."""

import datetime as dt

from django import forms
from django.db.models import Q
from rest_framework import serializers

from . import selectors
from .api.slots import DateOrDateTimeField
from .core.api.auth import ACT_AS_HEADER
from .core.api.filters import ApiFilter, ApiFilterSet, ListWidget
from .core.api.permissions import api_context
from .models import AppointmentStatus

STATUSES = AppointmentStatus.values


class StatusListField(serializers.ListField):
    """Appointment statuses; any other is refused, naming the statuses there are."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        unknown = sorted(set(values) - set(STATUSES))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status: {', '.join(unknown)}; one of {', '.join(STATUSES)}")
        return values


def _instant(value, *, end: bool) -> dt.datetime:
    """A date reads as UTC midnight (``end`` inclusive: the next midnight)."""
    if isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


class AppointmentFilterSet(ApiFilterSet):
    """``GET /v4/appointment``: the company's appointments that overlap ``start`` to
    ``end``, of one host, one meeting type, in some statuses (all unless asked)."""

    start = ApiFilter(DateOrDateTimeField(), method="ending_after",
                      description="Appointments ending after this (date or datetime with offset)")
    end = ApiFilter(DateOrDateTimeField(), method="starting_before",
                    description="Appointments starting before this (date, inclusive, or "
                    "datetime with offset)")
    hostId = ApiFilter(serializers.UUIDField(), field_name="host_rows__host__uuid",
                       description="Only this host's appointments")
    meetingTypeId = ApiFilter(serializers.UUIDField(), field_name="meeting_type__uuid")
    status = ApiFilter(StatusListField(), field_name="status", lookup_expr="in",
                       widget=ListWidget(),
                       schema={"type": "array", "items": {"type": "string", "enum": sorted(
                           STATUSES)}},
                       description="Repeat or comma-separate; default: all statuses")

    def ending_after(self, queryset, name, value):
        return queryset.filter(end__gt=_instant(value, end=False))

    def starting_before(self, queryset, name, value):
        return queryset.filter(start__lt=_instant(value, end=True))


class OneHostForm(forms.Form):
    """``userId`` and ``hostId`` are two names of one parameter: both sent, they agree."""

    def clean(self):
        data = super().clean()
        if data.get("userId") and data.get("hostId") and data["userId"] != data["hostId"]:
            self.add_error("hostId", "hostId is another name of userId: send one of them")
        return data


class HostedAppointmentFilterSet(AppointmentFilterSet):
    """meetergo's ``/paginated``: the appointments one user hosts (``userId``, or its
    other name ``hostId``; by default the acting user), filtered as above, and by a
    part of an attendee's name or email or of the meeting type's title."""

    userId = ApiFilter(serializers.UUIDField(), method="hosted_by",
                       description="Another user of the company (default: the acting user); "
                       "hostId is another name of it")
    hostId = ApiFilter(serializers.UUIDField(), method="hosted_by",
                       description="Another name of userId")
    search = ApiFilter(serializers.CharField(max_length=200), method="matching",
                       description="Part of an attendee's name or email, or of the meeting "
                       "type's title")

    class Meta:
        form = OneHostForm

    def filter_queryset(self, queryset):
        if not (self.value("userId") or self.value("hostId")):
            queryset = self.hosted_by(queryset, "userId", api_context(self.request).user.uuid)
        return super().filter_queryset(queryset)

    def hosted_by(self, queryset, name, value):
        return queryset.filter(host_rows__host__uuid=value)

    def matching(self, queryset, name, value):
        return queryset.filter(
            Q(meeting_type_title__icontains=value) | Q(attendees__email__icontains=value)
            | Q(attendees__first_name__icontains=value)
            | Q(attendees__last_name__icontains=value)).distinct()


class MeetingTypeFilterSet(ApiFilterSet):
    """``GET /v4/meeting-type``: the meeting types a user hosts (``hostId``, as their
    page lists them) or owns (``ownerId``). A user named in ``x-meetergo-api-user-id``
    (as meetergo's clients send it) narrows the list to their meeting types, hosted
    or owned, unless ``hostId`` or ``ownerId`` is sent."""

    hostId = ApiFilter(serializers.UUIDField(), method="hosted_by",
                       description="Only meeting types this user hosts (queues included)")
    ownerId = ApiFilter(serializers.UUIDField(), field_name="owner__uuid")

    def filter_queryset(self, queryset):
        acting = self.request is not None and self.request.META.get(ACT_AS_HEADER)
        if acting and not {"hostId", "ownerId"} & set(self.data):
            user = api_context(self.request).user
            queryset = queryset.filter(pk__in=selectors.meeting_types_of(user).values("pk"))
        return super().filter_queryset(queryset)

    def hosted_by(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.meeting_types_hosted_by(value).values("pk"))


class CalendarConnectionFilterSet(ApiFilterSet):
    userId = ApiFilter(serializers.UUIDField(), field_name="user__uuid",
                       description="Only this user's connections")
