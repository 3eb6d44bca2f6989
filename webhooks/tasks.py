"""Celery tasks of webhooks: thin wrappers around services.

Retries are not Celery's: the next attempt time is kept in the database and the
periodic sweep queues what is due, so no long countdown waits in the broker.
"""

from celery import shared_task

from .services import delivery, endpoints


# A batch stops sending once most of its lease is gone (delivery.SEND_BUDGET) and
# every attempt ends by its deadline, so these limits are never reached by a
# working sender; past them the lease runs out and the sweep sends what is left.
@shared_task(ignore_result=True, soft_time_limit=90, time_limit=120)
def deliver(delivery_id: int, token: str) -> None:
    delivery.delivery_attempt(delivery_id=delivery_id, token=token)


@shared_task(ignore_result=True)
def sweep_deliveries() -> int:
    return delivery.deliveries_sweep()


@shared_task(ignore_result=True)
def disable_failing_endpoints() -> int:
    return endpoints.endpoints_disable_failing()
