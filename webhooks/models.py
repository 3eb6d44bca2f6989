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
