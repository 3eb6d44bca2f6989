"""The filters of lists: django-filter FilterSets, read the way the API reads a body.

Each filter parses its query parameter with a serializer field (``ApiFilter``), so
``hostId`` or ``start`` takes the same values as a body field of the same kind and a
bad one is refused with the same message, in the documented 400 body. A parameter
sent empty is not applied, as if it were not sent. The FilterSet is also what the
OpenAPI schema documents (drf-spectacular reads it: ``schema.ApiAutoSchema``), and the
admin's list filters run the same FilterSets (``FilterSetListFilter``).
"""

import re

from django import forms
from django.contrib import admin
from django_filters import Filter, FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

STRING = {"type": "string"}


def unknown_parameter(name: str) -> str:
    return f"Unknown field {name!r}: this endpoint does not support it"


class SerializerFormField(forms.Field):
    """A form field that reads its value with ``serializer_field``: the same values
    and the same error messages as the API's bodies. ``blank_is_value``: an empty
    value is read too (and refused where the serializer field refuses it) instead of
    leaving the filter out."""

    def __init__(self, *, serializer_field, blank_is_value: bool = False, **kwargs):
        self.serializer_field = serializer_field
        self.blank_is_value = blank_is_value
        super().__init__(**kwargs)

    def clean(self, value):
        if value is None or value == [] or (value == "" and not self.blank_is_value):
            return None
        try:
            return self.serializer_field.run_validation(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError(_messages(exc.detail)) from exc


def _messages(detail) -> list[str]:
    """The messages of a serializer field's error detail, however nested, each once
    (a list's items may repeat one)."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        return list(dict.fromkeys(message for value in detail for message in _messages(value)))
    return [str(detail)]


class ListWidget(forms.Widget):
    """Several values: the parameter repeated, each comma-separated (``status=a,b&status=c``),
    blanks dropped. ``keys``: a pattern of the other names the values may come under
    (``tags[]``, ``tags[0]``)."""

    def __init__(self, keys: str | None = None, **kwargs):
        self.keys = re.compile(keys) if keys else None
        super().__init__(**kwargs)

    def reads(self, name: str, key: str) -> bool:
        return key == name or bool(self.keys and self.keys.fullmatch(key))

    def value_from_datadict(self, data, files, name):
        raw = [value for key in data if self.reads(name, key)
               for value in (data.getlist(key) if hasattr(data, "getlist") else [data[key]])]
        return [item.strip() for value in raw for item in str(value).split(",") if item.strip()]


class ApiFilter(Filter):
    """A query parameter read by ``serializer_field`` (see SerializerFormField) and
    documented as ``schema`` with ``description``; the rest as django-filter's Filter
    (``field_name`` and ``lookup_expr``, or ``method``)."""

    field_class = SerializerFormField

    def __init__(self, serializer_field, *, schema: dict | None = None, description: str = "",
                 **kwargs):
        super().__init__(serializer_field=serializer_field, **kwargs)
        documented = dict(schema or STRING)
        if description:
            documented["description"] = description
        extend_schema_field(documented)(self)


class ApiFilterSet(FilterSet):
    """A FilterSet of an API list. ``strict``: a parameter that is neither a filter nor
    in ``also_known`` (the list's paging) is a 400 naming it, before any other check."""

    strict = False
    also_known: frozenset[str] = frozenset()

    def unknown_parameters(self) -> list[str]:
        if not self.strict or self.data is None:
            return []
        return sorted(key for key in self.data if key not in self.also_known
                      and not any(self._reads(name, key) for name in self.filters))

    def _reads(self, name: str, key: str) -> bool:
        widget = self.form.fields[name].widget
        return widget.reads(name, key) if isinstance(widget, ListWidget) else key == name

    def is_valid(self) -> bool:
        return not self.unknown_parameters() and super().is_valid()

    def checked_qs(self):
        """The filtered queryset; a ValidationError naming each bad parameter (the
        documented 400), unknown ones alone when the FilterSet is strict."""
        unknown = self.unknown_parameters()
        if unknown:
            raise serializers.ValidationError({name: [unknown_parameter(name)]
                                               for name in unknown})
        if not self.form.is_valid():
            raise serializers.ValidationError(
                {name: list(messages) for name, messages in self.form.errors.items()})
        return self.qs

    def value(self, name: str):
        """The cleaned value of the filter ``name`` (None when not sent)."""
        return self.form.cleaned_data.get(name)


def filtered(filterset_class, request, queryset):
    """``queryset`` narrowed by ``filterset_class`` from the request's query string; a
    ValidationError (the documented 400) when a parameter is bad."""
    return filterset_class(request.query_params, queryset=queryset,
                           request=request).checked_qs()


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter's backend with the view's ``filterset_class`` for the current
    action (``filtersets``), whatever model the view's own queryset is of, and its
    errors in the documented 400 body (``ApiFilterSet.checked_qs``)."""

    def get_filterset_class(self, view, queryset=None):
        return getattr(view, "filterset_class", None)

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        return queryset if filterset_class is None else filtered(filterset_class, request,
                                                                 queryset)


class FilterSetsMixin:
    """``filtersets``: the FilterSet of each action of a view (``{"list": ...}``)."""

    filtersets: dict = {}

    @property
    def filterset_class(self):
        return self.filtersets.get(getattr(self, "action", None) or "list")


class FilterSetListFilter(admin.SimpleListFilter):
    """An admin list filter that runs one filter of an API FilterSet, so the admin's
    list and the API's narrow the same way (``filterset_class``, ``filter_name``)."""

    filterset_class = None
    filter_name = ""

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        filterset = self.filterset_class({self.filter_name: self.value()}, queryset=queryset,
                                         request=request)
        return filterset.qs if filterset.is_valid() else queryset.none()
