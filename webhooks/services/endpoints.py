"""Endpoints: a company's URLs, their event types, and their health (an endpoint
failing for ``DISABLE_AFTER``, or answering 410, is disabled and its owners told)."""

import datetime as dt
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling.choices import Role
from scheduling.core import urlguard
from scheduling.core.errors import Conflict, DomainError
from scheduling.models import Company, Membership

from .. import events as event_types
from .. import signing
from ..models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from .outbox import deliveries_queue
from .settlement import deliveries_cancel

DISABLE_AFTER = dt.timedelta(days=5)
TEST_EVENT = "webhook_test"
# meetergo's limit (developer-docs/webhooks/overview), for every way in: /webhooks,
# /v4/webhooks and the admin.
MAX_ENDPOINTS_PER_COMPANY = 6
TOO_MANY_ENDPOINTS = (
    f"A company can have at most {MAX_ENDPOINTS_PER_COMPANY} webhooks: delete one to add another"
)


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(event_types.ALL))
    if unknown:
        raise DomainError(f"Unknown event type: {', '.join(unknown)}", field="events")
    if not events:
        raise DomainError("Choose at least one event type", field="events")
    return list(dict.fromkeys(events))


def endpoint_create(
    *, company, url: str, events: list[str] | None = None, description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint (all event types when ``events`` is None). Refuses unsafe URLs,
    and a company's 7th endpoint (409), disabled ones included. The company row is
    locked while counting, so two creates at once cannot both take the last place."""
    urlguard.check_url(url)
    events = check_events(list(event_types.ALL) if events is None else events)
    with transaction.atomic():
        list(Company.objects.select_for_update().filter(pk=company.pk).values_list("pk"))
        if WebhookEndpoint.objects.filter(company=company).count() >= MAX_ENDPOINTS_PER_COMPANY:
            raise Conflict(TOO_MANY_ENDPOINTS)
        return WebhookEndpoint.objects.create(
            company=company, url=url, events=events, description=description, active=active,
            secret=signing.new_secret(),
        )


def endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``description`` or ``active``.

    Re-enabling a disabled endpoint clears the reason and the failure streak.
    """
    if "url" in changes:
        urlguard.check_url(changes["url"])
    if "events" in changes:
        changes["events"] = check_events(changes["events"])
    if changes.get("active") and not endpoint.active:
        changes.update(disabled_reason="", disabled_at=None, failing_since=None)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook_test`` event to this endpoint only, through the normal delivery."""
    if not endpoint.active:
        raise Conflict("This webhook is disabled; enable it before sending a test event")
    outbox = OutboxEvent.objects.create(
        company=endpoint.company, event=TEST_EVENT,
        data={"webhookId": str(endpoint.uuid), "message": "A test event from Termin"},
    )
    [delivery] = deliveries_queue(outbox, [endpoint.pk])
    delivery.endpoint = endpoint
    return delivery


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, now=None) -> bool:
    """Disable the endpoint, cancel what is still queued for it and tell the owners.

    Returns False when it was already disabled (nothing done, no second email).
    """
    now = now or timezone.now()
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_reason=reason[:200], disabled_at=now, updated_at=now
        )
        if not changed:
            return False
        deliveries_cancel(WebhookDelivery.objects.filter(endpoint=endpoint), now=now)
        transaction.on_commit(partial(_owners_notify_disabled, endpoint.pk))
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    return True


def _owners_notify_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("company").get(pk=endpoint_id)
    owners = Membership.objects.filter(company=endpoint.company, role=Role.OWNER)
    recipients = [m.user.email for m in owners.select_related("user")]
    if not recipients:
        return
    context = {"endpoint": endpoint, "company": endpoint.company, "site_url": settings.SITE_URL}
    subject = render_to_string("emails/webhook_disabled_subject.txt", context).strip()
    body = render_to_string("emails/webhook_disabled.txt", context)
    send_mail(subject, body, None, recipients)


def endpoints_disable_failing(*, now=None) -> int:
    """Disable every active endpoint all of whose deliveries failed for DISABLE_AFTER."""
    now = now or timezone.now()
    failing = WebhookEndpoint.objects.filter(active=True, failing_since__lte=now - DISABLE_AFTER)
    return sum(endpoint_disable(endpoint=e, reason=_failing_reason(), now=now) for e in failing)


def _failing_reason() -> str:
    return f"Every delivery failed for {DISABLE_AFTER.days} days"


def endpoints_note(results: list[tuple], settled: set[int], now: dt.datetime) -> None:
    """Keep each endpoint's failure streak after a batch of ``(delivery, result)``
    attempts: a success ends it; a failure whose delivery was ``settled`` (its lease
    held) starts it, or disables the endpoint on 410 or after ``DISABLE_AFTER``."""
    noted = set()
    for delivery, result in results:
        if result.succeeded and delivery.endpoint_id not in noted:
            noted.add(delivery.endpoint_id)
            _streak_end(delivery.endpoint)
    for delivery, result in results:
        if not result.succeeded and delivery.pk in settled:
            _streak_note_failure(delivery.endpoint, result.status_code, now)


def _streak_end(endpoint: WebhookEndpoint) -> None:
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        endpoint.failing_since = None


def _streak_note_failure(endpoint: WebhookEndpoint, status_code, now: dt.datetime) -> None:
    if status_code == 410:
        endpoint_disable(endpoint=endpoint, reason="The endpoint answered HTTP 410 Gone", now=now)
    elif endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        endpoint.failing_since = now
    elif endpoint.failing_since <= now - DISABLE_AFTER:
        endpoint_disable(endpoint=endpoint, reason=_failing_reason(), now=now)
