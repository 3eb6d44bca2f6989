"""The one door into webhooks: ``emit()``."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from .models import OutboxEvent

import json


def emit(company, event: str, data: dict) -> OutboxEvent:
    """Record ``event`` for ``company`` in the caller's transaction.

    Rolled back with the caller, so a failed change never announces itself; once
    committed it is never lost. ``data`` must be JSON-serialisable (datetimes are
    accepted and written as ISO 8601 strings).
    """
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    with transaction.atomic():
        return OutboxEvent.objects.create(company=company, event=event, data=payload)
