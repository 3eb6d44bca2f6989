"""Plain-dict output shapes of webhooks, shared by the API and the admin."""

from scheduling.timeutils import iso

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_payload(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict:
    body = {
        "id": str(endpoint.uuid),
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "active": endpoint.active,
        "disabledReason": endpoint.disabled_reason or None,
        "disabledAt": iso(endpoint.disabled_at),
        "createdAt": iso(endpoint.created_at),
        "updatedAt": iso(endpoint.updated_at),
    }
    if with_secret:
        body["secret"] = endpoint.secret
    return body


def attempt_payload(attempt: WebhookAttempt) -> dict:
    return {
        "attemptedAt": iso(attempt.attempted_at),
        "succeeded": attempt.succeeded,
        "statusCode": attempt.status_code,
        "durationMs": attempt.duration_ms,
        "responseExcerpt": attempt.response_excerpt,
        "error": attempt.error or None,
    }


def delivery_payload(delivery: WebhookDelivery) -> dict:
    return {
        "id": str(delivery.uuid),
        "webhookId": str(delivery.endpoint.uuid),
        "eventId": delivery.event.webhook_id,  # the webhook-id header receivers see
        "event": delivery.event.event,
        "status": delivery.status,
        "attemptCount": delivery.attempt_count,
        "lastStatusCode": delivery.last_status_code,
        "nextAttemptAt": iso(delivery.next_attempt_at),
        "createdAt": iso(delivery.created_at),
        "settledAt": iso(delivery.settled_at),
        "data": delivery.event.data,
        "attempts": [attempt_payload(a) for a in delivery.attempts.all()],
    }
