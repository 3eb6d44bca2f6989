"""``GET /v4/usage``: bookings created through the API per month (metered usage)."""

import datetime as dt
import re
from types import SimpleNamespace

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..core.api.base import ApiView
from ..core.api.shapes import Instant, Integer, Many, Shape, Text, key
from ..core.timeutils import add_months, get_zone
from ..services.appointments import usage_by_month

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_MONTHS = 36


class MonthField(serializers.CharField):
    default_error_messages = {"month": "Expected a month as YYYY-MM"}

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if not _MONTH.match(value):
            self.fail("month")
        return dt.date(int(value[:4]), int(value[5:]), 1)


class UsageQuery(serializers.Serializer):
    # "from" is a keyword, so the field is declared below under its public name.
    to = MonthField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MonthField(required=False)
        return fields

    def validate(self, attrs):
        if "from" in attrs and "to" in attrs and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["to must not be before from"]})
        return attrs


USAGE_MONTH = Shape("UsageMonth", {
    "month": Text(key("month")),
    "bookings": Integer(key("bookings")),
    "periodStart": Instant(key("periodStart")),
    "periodEnd": Instant(key("periodEnd")),
})
USAGE = Shape("Usage", {
    "timezone": Text("company.timezone"),
    "total": Integer(lambda usage: sum(month["bookings"] for month in usage.months)),
    "months": Many(USAGE_MONTH, "months"),
}, prepare=lambda company, months: SimpleNamespace(company=company, months=months))


@extend_schema(tags=["Usage"])
class UsageView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="First month (YYYY-MM); default: "
                             "11 months before the last"),
            OpenApiParameter("to", str, description="Last month (YYYY-MM); default: this month"),
        ],
        responses={200: USAGE.schema()},
        summary="Bookings created through the API, per month of the company's time zone",
    )
    def get(self, request):
        query = UsageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        company = self.ctx.company
        this_month = timezone.now().astimezone(get_zone(company.timezone)).date().replace(day=1)
        last = query.validated_data.get("to", this_month)
        first = query.validated_data.get("from", add_months(last, -11))
        if first < add_months(last, -(MAX_MONTHS - 1)):
            raise serializers.ValidationError(
                {"from": [f"At most {MAX_MONTHS} months at once"]})
        months = usage_by_month(company=company, first=first, last=last)
        return Response(USAGE.build(company, months))
