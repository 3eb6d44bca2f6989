"""The event outbox. Delivery to endpoints builds on these rows."""

import uuid

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """Something that happened, written in the same transaction as the change."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(
        "scheduling.Company", on_delete=models.CASCADE, related_name="outbox_events"
    )
    event = models.CharField(max_length=64, db_index=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} {self.uuid}"

    @property
    def webhook_id(self) -> str:
        """The id receivers de-duplicate by (Standard Webhooks ``webhook-id``)."""
        return f"msg_{self.uuid.hex}"


class WebhookEndpoint(models.Model):
    """A URL of a company's that receives the events it subscribes to."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(
        "scheduling.Company", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    description = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    # ``whsec_`` + base64 of random bytes; kept readable because every delivery signs with it.
    secret = models.CharField(max_length=120, editable=False)
    # Set at the first failure after a success, cleared by the next success: the
    # endpoint is disabled once it has been failing for WEBHOOK_DISABLE_AFTER.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["company", "active"], name="webhook_endpoint_company")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # retries exhausted, or the endpoint answered 410
    CANCELLED = "cancelled", "Cancelled"  # the endpoint was disabled or deactivated


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint; the retry schedule lives here."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts since the delivery was last queued (a redelivery starts the schedule
    # again); the full history is in ``attempts``.
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; None once the delivery has settled.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The lease: whoever holds ``lock_token`` until ``locked_until`` may attempt it.
    # A sender that dies leaves the lease to expire, and the sweep takes it over.
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.UUIDField(null=True, blank=True, editable=False)
    # True while a sender has it in hand (between taking it and recording the
    # attempt); False while it waits in the queue, where a sender draining the same
    # endpoint may take it over (its own task then finds the lease gone).
    sending = models.BooleanField(default=False, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(next_attempt_at__isnull=False),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event.event} -> {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as it went."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error[:40]} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
