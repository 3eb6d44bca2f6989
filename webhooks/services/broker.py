"""Publishing ``deliver`` tasks, and the breaker that stops it during a broker outage.

A message is only a wake-up call: the delivery row holds the lease and the
schedule, so a message the broker refused or lost only delays the delivery
until the sweep hands it to a live worker.
"""

import logging
import time
import uuid

from ..models import WebhookDelivery
from .leases import RELEASED

logger = logging.getLogger("termin.webhooks")


class BrokerBreaker:
    """Stops publishing for a while after the broker refused a message.

    Kombu keeps retrying a refused connection for its connect timeout (seconds),
    which would hold up every committing request during a broker outage. After one
    failure this process leaves its deliveries to the sweep for ``PAUSE`` seconds.
    """

    PAUSE = 10.0

    def __init__(self):
        self.closed_until = 0.0

    def allows(self) -> bool:
        return time.monotonic() >= self.closed_until

    def trip(self) -> None:
        self.closed_until = time.monotonic() + self.PAUSE

    def reset(self) -> None:
        self.closed_until = 0.0


broker_breaker = BrokerBreaker()


def enqueue(delivery_ids: list[int], token: uuid.UUID) -> None:
    """Queue a ``deliver`` task per delivery (run it after commit); with the broker
    down, give the leases back for the sweep."""
    from ..tasks import deliver  # the tasks module imports the services

    for index, delivery_id in enumerate(delivery_ids):
        try:
            if not broker_breaker.allows():
                raise ConnectionError("the broker failed moments ago")
            deliver.apply_async((delivery_id, str(token)), retry=False)
        except Exception as exc:
            if broker_breaker.allows():
                broker_breaker.trip()
                logger.warning("Broker unavailable (%s); the sweep will deliver these webhooks "
                               "once it is back", exc)
            # Give the lease back so the next sweep takes them without waiting for it to run out.
            WebhookDelivery.objects.filter(
                pk__in=delivery_ids[index:], lock_token=token
            ).update(**RELEASED)
            return
