"""``GET /v4/usage``: bookings created through the API per month (metered usage)."""

import datetime as dt
import re

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ..services.appointments import usage_by_month
from ..timeutils import get_zone
from .base import ApiView

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


UsageOutput = inline_serializer("Usage", {
    "timezone": serializers.CharField(),
    "total": serializers.IntegerField(),
    "months": inline_serializer("UsageMonth", {
        "month": serializers.CharField(),
        "bookings": serializers.IntegerField(),
        "periodStart": serializers.DateTimeField(),
        "periodEnd": serializers.DateTimeField(),
    }, many=True),
})


@extend_schema(tags=["Usage"])
class UsageView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="First month (YYYY-MM); default: "
                             "11 months before the last"),
            OpenApiParameter("to", str, description="Last month (YYYY-MM); default: this month"),
        ],
        responses={200: UsageOutput},
        summary="Bookings created through the API, per month of the company's time zone",
    )
    def get(self, request):
        query = UsageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        company = self.ctx.company
        this_month = timezone.now().astimezone(get_zone(company.timezone)).date().replace(day=1)
        last = query.validated_data.get("to", this_month)
        first = query.validated_data.get("from", _months_before(last, 11))
        if first < _months_before(last, MAX_MONTHS - 1):
            raise serializers.ValidationError(
                {"from": [f"At most {MAX_MONTHS} months at once"]})
        months = usage_by_month(company=company, first=first, last=last)
        return Response({"timezone": company.timezone,
                         "total": sum(m["bookings"] for m in months), "months": months})


def _months_before(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)
