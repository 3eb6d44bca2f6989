"""Reads of webhooks."""

import uuid

from django.db.models import QuerySet

from scheduling.errors import NotFound

from .models import WebhookDelivery, WebhookEndpoint


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def endpoint_list(*, company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company).order_by("created_at", "pk")


def endpoint_get(*, company, endpoint_id) -> WebhookEndpoint:
    """The company's endpoint with this uuid; NotFound for anyone else's."""
    found = endpoint_list(company=company).filter(uuid=_uuid(endpoint_id)).first()
    if found is None:
        raise NotFound("Webhook not found")
    return found


def delivery_list(*, endpoint: WebhookEndpoint, status: str | None = None) -> QuerySet:
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event", "endpoint")
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")
    )
    return deliveries.filter(status=status) if status else deliveries


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    found = delivery_list(endpoint=endpoint).filter(uuid=_uuid(delivery_id)).first()
    if found is None:
        raise NotFound("Delivery not found")
    return found
