"""Reads of webhooks."""

from django.db.models import QuerySet

from scheduling.core.lookups import get_by_uuid

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company).order_by("created_at", "pk")


def endpoint_get(*, company, endpoint_id) -> WebhookEndpoint:
    """The company's endpoint with this uuid; NotFound for anyone else's."""
    return get_by_uuid(endpoint_list(company=company), endpoint_id, not_found="Webhook not found")


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet:
    """The endpoint's delivery log, newest first (``filters.DeliveryFilterSet`` narrows it)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event", "endpoint")
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")
    )


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    return get_by_uuid(delivery_list(endpoint=endpoint), delivery_id,
                       not_found="Delivery not found")
