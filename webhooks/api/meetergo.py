"""``/webhooks``: webhook endpoints in meetergo's shapes, at the host root.

Follows meetergo's developer-docs/webhooks/managing-webhooks (``{endpoint,
description, eventTypes}`` in, ``{id, endpoint, description, eventTypes, companyId,
createdAt}`` out, the list a bare array) and developer-docs/webhooks/overview (event
names, at most 6 per company). ``/v4/webhooks`` (``views.py``) keeps Termin's own
shapes; both call the same services.
"""

from contextlib import contextmanager
from typing import NamedTuple

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from scheduling.choices import Role
from scheduling.core.api.base import ApiViewSet
from scheduling.core.api.fields import StrictSerializer
from scheduling.core.api.shapes import Boolean, Instant, ListOf, Shape, Text, Uuid
from scheduling.core.errors import DomainError

from .. import events, selectors
from ..models import WebhookEndpoint
from ..services.endpoints import endpoint_create, endpoint_delete, endpoint_update

# Event types meetergo documents that Termin does not send (rule 3 of meetergo-api.md:
# refused by name rather than accepted and never delivered).
NOT_SUPPORTED_EVENTS = {
    "form_submission": "form_submission is not supported: Termin has no routing forms or "
                       "funnels yet",
}
# The service's field names, as this path's clients name them.
FIELD_NAMES = {"url": "endpoint", "events": "eventTypes"}


class WebhookBody(StrictSerializer):
    # A plain string: the SSRF guard is the one judge of what a webhook URL may be.
    endpoint = serializers.CharField(max_length=2000)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    eventTypes = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text="booking_created, booking_cancelled, booking_rescheduled, new_employee; "
                  f"also Termin's {', '.join(e for e in events.ALL if '.' in e)}",
    )
    active = serializers.BooleanField(
        required=False, help_text="Termin's own: false pauses deliveries, true re-enables "
                                  "a disabled webhook")

    def validate_eventTypes(self, value: list[str]) -> list[str]:
        refused = [NOT_SUPPORTED_EVENTS[name] for name in value if name in NOT_SUPPORTED_EVENTS]
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def to_service_kwargs(self) -> dict:
        names = {"endpoint": "url", "eventTypes": "events"}
        return {names.get(key, key): value for key, value in self.validated_data.items()}


class _Registered(NamedTuple):
    endpoint: WebhookEndpoint
    company: object


WEBHOOK = Shape("MeetergoWebhook", {
    "id": Uuid("endpoint.uuid"),
    "endpoint": Text("endpoint.url"),
    "description": Text("endpoint.description"),
    "eventTypes": ListOf(Text, "endpoint.events"),
    "companyId": Uuid("company.uuid"),
    "createdAt": Instant("endpoint.created_at"),
    "active": Boolean("endpoint.active", "Termin's own"),
    "disabledReason": Text(lambda found: found.endpoint.disabled_reason or None,
                           "Termin's own", null=True),
    "updatedAt": Instant("endpoint.updated_at", "Termin's own"),
}, prepare=_Registered)
CREATED_WEBHOOK = WEBHOOK.extend("MeetergoWebhookCreated", {
    "secret": Text("endpoint.secret", "Termin's own: whsec_... signing secret, shown only here"),
})
ID_PARAMETER = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The webhook's id")


@contextmanager
def meetergo_field_names():
    """A service's error names the field as this path's client sent it."""
    try:
        yield
    except DomainError as exc:
        exc.field = FIELD_NAMES.get(exc.field, exc.field)
        raise


@extend_schema(tags=["Webhooks (meetergo)"])
class MeetergoWebhookViewSet(ApiViewSet):
    """Owners and admins manage the company's webhooks, as at ``/v4/webhooks``."""

    serializer_class = WebhookBody
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests scope to the company
    required_roles = dict.fromkeys(
        ("list", "create", "retrieve", "partial_update", "destroy"), Role.ADMIN)
    pagination_class = None  # meetergo answers the list as a bare array
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_object(self) -> WebhookEndpoint:
        return selectors.endpoint_get(company=self.ctx.company, endpoint_id=self.kwargs["pk"])

    @extend_schema(responses={200: WEBHOOK.schema()}, summary="Every webhook of the company")
    def list(self, request):
        company = self.ctx.company
        return Response([WEBHOOK.build(e, company) for e in selectors.endpoint_list(
            company=company)])

    @extend_schema(request=WebhookBody, responses={201: CREATED_WEBHOOK.schema()},
                   summary="Register a webhook (at most 6 per company)")
    def create(self, request):
        data = self._validated(partial=False)
        with meetergo_field_names():
            endpoint = endpoint_create(company=self.ctx.company, **data)
        return Response(CREATED_WEBHOOK.build(endpoint, self.ctx.company),
                        status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ID_PARAMETER], responses={200: WEBHOOK.schema()})
    def retrieve(self, request, pk=None):
        return Response(WEBHOOK.build(self.get_object(), self.ctx.company))

    @extend_schema(parameters=[ID_PARAMETER], request=WebhookBody,
                   responses={200: WEBHOOK.schema()}, summary="Change the fields given")
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = self._validated(partial=True)
        with meetergo_field_names():
            endpoint = endpoint_update(endpoint=endpoint, **data)
        return Response(WEBHOOK.build(endpoint, self.ctx.company))

    @extend_schema(parameters=[ID_PARAMETER], responses={200: WEBHOOK.schema()},
                   summary="Delete a webhook; answers it as it was")
    def destroy(self, request, pk=None):
        endpoint = self.get_object()
        body = WEBHOOK.build(endpoint, self.ctx.company)
        endpoint_delete(endpoint=endpoint)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = WebhookBody(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs()
