"""Serializer fields shared by every endpoint."""

import datetime as dt

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..timeutils import canonical_timezone


class TimezoneField(serializers.CharField):
    """An IANA time zone name (browser aliases accepted, stored canonical)."""

    default_error_messages = {"invalid_zone": "Unknown time zone: {value}"}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        zone = canonical_timezone(value)
        if zone is None:
            self.fail("invalid_zone", value=value)
        return zone


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its offset; returned in UTC."""

    default_error_messages = {
        "naive": "Datetime must include a UTC offset, e.g. 2024-01-15T09:00:00+01:00",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                self.fail("invalid", format="ISO 8601 with offset")
            if parsed.tzinfo is None:
                self.fail("naive")
            return parsed.astimezone(dt.UTC)
        return super().to_internal_value(value)


class StrictSerializer(serializers.Serializer):
    """A body whose fields the endpoint does not know is a 400 naming each of them
    (SPEC section 3: nothing a client sends is dropped silently). Nested strict
    serializers report their unknown fields dotted (``attendee.nickname``).

    ``also_known`` names fields read elsewhere (aliases a view maps itself)."""

    also_known: frozenset[str] = frozenset()

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - self.also_known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"Unknown field {name!r}: this endpoint does not support it"]
                     for name in unknown})
        return super().to_internal_value(data)


class StrictSerializerSchema(OpenApiSerializerExtension):
    """The schema says what StrictSerializer does: no fields but the documented ones."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


@extend_schema_field(OpenApiTypes.ANY)
class UnsupportedField(serializers.Field):
    """A field meetergo documents and Termin does not support: sending it is a 400
    naming it and saying so, never a silent drop (meetergo-api.md, rule 3)."""

    def __init__(self, reason: str = "", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"Not supported by Termin: sending it is a 400. {reason}")
        super().__init__(**kwargs)
        self.reason = reason

    def to_internal_value(self, data):
        reason = f": {self.reason}" if self.reason else ""
        raise serializers.ValidationError(f"Termin does not support this meetergo field{reason}")

    def to_representation(self, value):
        return value
