"""``page`` / ``limit`` pagination -> ``{"data", "total", "page", "limit"}``."""

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

# The highest page a list answers (a 400 beyond): the largest 32-bit integer, which
# every generated client can send, and small enough that its offset never
# overflows the database's 64-bit OFFSET.
MAX_PAGE = 2**31 - 1

# The page wrapper, declared once: ``envelope`` builds it under these keys, in this
# order, and its schema (``page_schema``, ``page_serializer``) is this one with the
# listed items' schema under ``data``.
PAGE_SCHEMA = {
    "type": "object",
    "required": ["data", "total", "page", "limit"],
    "properties": {
        "data": {"type": "array"},
        "total": {"type": "integer", "example": 1},
        "page": {"type": "integer", "example": 1},
        "limit": {"type": "integer", "example": 20},
    },
}
DATA, TOTAL, PAGE, LIMIT = PAGE_SCHEMA["properties"]


def page_schema(data: dict) -> dict:
    """The page's schema around ``data``, the schema of its list of items."""
    return {**PAGE_SCHEMA, "properties": {**PAGE_SCHEMA["properties"], DATA: data}}


def page_serializer(name: str, data: serializers.Serializer) -> serializers.Serializer:
    """The page as a named component, where a schema must be a serializer (a page that
    is one answer of several); ``data`` is the items' serializer with ``many=True``."""
    counters = {key: _documented_as(schema)() for key, schema in PAGE_SCHEMA["properties"].items()
                if key != DATA}
    return inline_serializer(name, {DATA: data, **counters})


def _documented_as(schema: dict) -> type[serializers.Field]:
    # A class of its own: a field instance loses its annotations when copied.
    return extend_schema_field(schema)(type("PageCounter", (serializers.IntegerField,), {}))


class PageLimitQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


def page_limit(request, default_limit: int = 20) -> tuple[int, int]:
    """Validated ``page`` and ``limit`` from the query string (400 when out of range)."""
    query = PageLimitQuery(data=request.query_params)
    query.fields["limit"].default = default_limit
    query.is_valid(raise_exception=True)
    return query.validated_data["page"], query.validated_data["limit"]


class PageLimitPagination(BasePagination):
    default_limit = 20

    def paginate_queryset(self, queryset, request, view=None):
        self.page, self.limit = page_limit(request, self.default_limit)
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        return list(queryset[offset : offset + self.limit])

    def get_paginated_response(self, data):
        return Response(self.envelope(data))

    def envelope(self, data) -> dict:
        return {DATA: data, TOTAL: self.total, PAGE: self.page, LIMIT: self.limit}

    def get_paginated_response_schema(self, schema):
        return page_schema(schema)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                        "default": self.default_limit}},
        ]
