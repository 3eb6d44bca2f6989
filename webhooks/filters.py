"""FilterSets of webhooks' lists (``scheduling/core/api/filters.py`` says how a filter
reads its parameter)."""

from rest_framework import serializers

from scheduling.core.api.filters import ApiFilter, ApiFilterSet

from .models import DeliveryStatus


class DeliveryFilterSet(ApiFilterSet):
    """An endpoint's delivery log, in one status."""

    status = ApiFilter(
        serializers.ChoiceField(choices=DeliveryStatus.values,
                                error_messages={"invalid_choice": "Unknown status: {input}"}),
        field_name="status", schema={"type": "string", "enum": sorted(DeliveryStatus.values)})
