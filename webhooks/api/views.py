"""``/v4/webhooks``: endpoints, a test event, the delivery log and redelivery."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduling.api.base import ApiViewSet
from scheduling.choices import Role

from .. import events, selectors, services
from ..models import DeliveryStatus, WebhookEndpoint
from ..payloads import delivery_payload, endpoint_payload


class WebhookInput(serializers.Serializer):
    # A plain string: the SSRF guard is the one judge of what a webhook URL may be.
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False,
        help_text=f"Event types to receive; all when omitted. One of: {', '.join(events.ALL)}",
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


_ENDPOINT_FIELDS = {
    "id": serializers.UUIDField(),
    "url": serializers.URLField(),
    "events": serializers.ListField(child=serializers.CharField()),
    "description": serializers.CharField(),
    "active": serializers.BooleanField(),
    "disabledReason": serializers.CharField(allow_null=True),
    "disabledAt": serializers.DateTimeField(allow_null=True),
    "createdAt": serializers.DateTimeField(),
    "updatedAt": serializers.DateTimeField(),
}
WebhookOutput = inline_serializer("Webhook", _ENDPOINT_FIELDS)
WebhookCreated = inline_serializer(
    "WebhookCreated",
    {**_ENDPOINT_FIELDS, "secret": serializers.CharField(help_text="whsec_...; shown only here")},
)
DeliveryOutput = inline_serializer(
    "WebhookDelivery",
    {
        "id": serializers.UUIDField(),
        "webhookId": serializers.UUIDField(),
        "eventId": serializers.CharField(help_text="The webhook-id header of every attempt"),
        "event": serializers.CharField(),
        "status": serializers.ChoiceField(choices=DeliveryStatus.choices),
        "attemptCount": serializers.IntegerField(),
        "lastStatusCode": serializers.IntegerField(allow_null=True),
        "nextAttemptAt": serializers.DateTimeField(allow_null=True),
        "createdAt": serializers.DateTimeField(),
        "settledAt": serializers.DateTimeField(allow_null=True),
        "data": serializers.JSONField(),
        "attempts": inline_serializer(
            "WebhookAttempt",
            {
                "attemptedAt": serializers.DateTimeField(),
                "succeeded": serializers.BooleanField(),
                "statusCode": serializers.IntegerField(allow_null=True),
                "durationMs": serializers.IntegerField(),
                "responseExcerpt": serializers.CharField(),
                "error": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
    },
)

ADMIN_ONLY = ("list", "create", "retrieve", "partial_update", "destroy", "test", "deliveries",
              "redeliver")


@extend_schema(tags=["Webhooks"])
class WebhookViewSet(ApiViewSet):
    serializer_class = WebhookInput
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests scope to the company
    required_roles = dict.fromkeys(ADMIN_ONLY, Role.ADMIN)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.endpoint_list(company=self.ctx.company)

    def get_object(self):
        return selectors.endpoint_get(company=self.ctx.company, endpoint_id=self.kwargs["pk"])

    @extend_schema(responses={200: WebhookOutput})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([endpoint_payload(e) for e in page])

    @extend_schema(request=WebhookInput, responses={201: WebhookCreated})
    def create(self, request):
        data = self._validated(partial=False)
        endpoint = services.endpoint_create(company=self.ctx.company, **data)
        body = endpoint_payload(endpoint, with_secret=True)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: WebhookOutput})
    def retrieve(self, request, pk=None):
        return Response(endpoint_payload(self.get_object()))

    @extend_schema(request=WebhookInput, responses={200: WebhookOutput})
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        endpoint = services.endpoint_update(endpoint=endpoint, **self._validated(partial=True))
        return Response(endpoint_payload(endpoint))

    @extend_schema(responses={200: WebhookOutput}, summary="Delete a webhook; answers it as it was")
    def destroy(self, request, pk=None):
        endpoint = self.get_object()
        body = endpoint_payload(endpoint)
        services.endpoint_delete(endpoint=endpoint)
        return Response(body)

    @extend_schema(request=None, responses={202: DeliveryOutput},
                   summary="Send a webhook_test event to this webhook")
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = services.endpoint_send_test(endpoint=self.get_object())
        return Response(delivery_payload(delivery), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        # A page of deliveries ({"data", "total", "page", "limit"}), with page and limit.
        responses={200: DeliveryOutput.__class__(many=True)},
        parameters=[OpenApiParameter("status", enum=DeliveryStatus.values, required=False)],
        summary="The delivery log of this webhook, newest first",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in DeliveryStatus.values:
            raise serializers.ValidationError({"status": [f"Unknown status: {status_filter}"]})
        deliveries = selectors.delivery_list(endpoint=self.get_object(), status=status_filter)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response([delivery_payload(d) for d in page])

    @extend_schema(request=None, responses={202: DeliveryOutput},
                   summary="Send one delivery again (same webhook-id)")
    @action(detail=True, methods=["post"],
            url_path=r"deliveries/(?P<delivery_id>[^/]+)/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        delivery = selectors.delivery_get(endpoint=self.get_object(), delivery_id=delivery_id)
        services.delivery_redeliver(delivery=delivery)
        fresh = selectors.delivery_get(endpoint=delivery.endpoint, delivery_id=delivery_id)
        return Response(delivery_payload(fresh), status=status.HTTP_202_ACCEPTED)

    def _validated(self, *, partial: bool) -> dict:
        serializer = WebhookInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
