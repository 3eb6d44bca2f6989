"""Output shapes of webhooks, declared once (scheduling/core/api/shapes.py): the API's
answers are built from them and the schema derived from them."""

from scheduling.core.api.shapes import (
    Boolean,
    Choice,
    Instant,
    Integer,
    Json,
    ListOf,
    Many,
    Shape,
    Text,
    Url,
    Uuid,
)

from .models import DeliveryStatus

ENDPOINT = Shape("Webhook", {
    "id": Uuid("uuid"),
    "url": Url("url"),
    "events": ListOf(Text, "events"),
    "description": Text("description"),
    "active": Boolean("active"),
    "disabledReason": Text(lambda endpoint: endpoint.disabled_reason or None, null=True),
    "disabledAt": Instant("disabled_at", null=True),
    "createdAt": Instant("created_at"),
    "updatedAt": Instant("updated_at"),
})
CREATED_ENDPOINT = ENDPOINT.extend("WebhookCreated", {
    "secret": Text("secret", "whsec_...; shown only here"),
})
ATTEMPT = Shape("WebhookAttempt", {
    "attemptedAt": Instant("attempted_at"),
    "succeeded": Boolean("succeeded"),
    "statusCode": Integer("status_code", null=True),
    "durationMs": Integer("duration_ms"),
    "responseExcerpt": Text("response_excerpt"),
    "error": Text(lambda attempt: attempt.error or None, null=True),
})
DELIVERY = Shape("WebhookDelivery", {
    "id": Uuid("uuid"),
    "webhookId": Uuid("endpoint.uuid"),
    "eventId": Text("event.webhook_id", "The webhook-id header of every attempt"),
    "event": Text("event.event"),
    "status": Choice(DeliveryStatus.choices, "status"),
    "attemptCount": Integer("attempt_count"),
    "lastStatusCode": Integer("last_status_code", null=True),
    "nextAttemptAt": Instant("next_attempt_at", null=True),
    "createdAt": Instant("created_at"),
    "settledAt": Instant("settled_at", null=True),
    "data": Json("event.data"),
    "attempts": Many(ATTEMPT, lambda delivery: delivery.attempts.all()),
})
