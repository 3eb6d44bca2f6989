"""``/v4/webhooks``: endpoints, a test event, the delivery log and redelivery."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduling.choices import Role
from scheduling.core.api.base import ApiViewSet
from scheduling.core.api.fields import StrictSerializer

from .. import events, selectors
from ..filters import DeliveryFilterSet
from ..models import WebhookEndpoint
from ..payloads import CREATED_ENDPOINT, DELIVERY, ENDPOINT
from ..services.delivery import delivery_redeliver
from ..services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_send_test,
    endpoint_update,
)


class WebhookInput(StrictSerializer):
    # A plain string: the SSRF guard is the one judge of what a webhook URL may be.
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False,
        help_text=f"Event types to receive; all when omitted. One of: {', '.join(events.ALL)}",
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


ADMIN_ONLY = ("list", "create", "retrieve", "partial_update", "destroy", "test", "deliveries",
              "redeliver")


@extend_schema(tags=["Webhooks"])
class WebhookViewSet(ApiViewSet):
    serializer_class = WebhookInput
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests scope to the company
    required_roles = dict.fromkeys(ADMIN_ONLY, Role.ADMIN)
    filtersets = {"deliveries": DeliveryFilterSet}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.endpoint_list(company=self.ctx.company)

    def get_object(self):
        return selectors.endpoint_get(company=self.ctx.company, endpoint_id=self.kwargs["pk"])

    @extend_schema(responses={200: ENDPOINT.schema()})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([ENDPOINT.build(e) for e in page])

    @extend_schema(request=WebhookInput, responses={201: CREATED_ENDPOINT.schema()})
    def create(self, request):
        data = self._validated(partial=False)
        endpoint = endpoint_create(company=self.ctx.company, **data)
        body = CREATED_ENDPOINT.build(endpoint)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ENDPOINT.schema()})
    def retrieve(self, request, pk=None):
        return Response(ENDPOINT.build(self.get_object()))

    @extend_schema(request=WebhookInput, responses={200: ENDPOINT.schema()})
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        endpoint = endpoint_update(endpoint=endpoint, **self._validated(partial=True))
        return Response(ENDPOINT.build(endpoint))

    @extend_schema(responses={200: ENDPOINT.schema()},
                   summary="Delete a webhook; answers it as it was")
    def destroy(self, request, pk=None):
        endpoint = self.get_object()
        body = ENDPOINT.build(endpoint)
        endpoint_delete(endpoint=endpoint)
        return Response(body)

    @extend_schema(request=None, responses={202: DELIVERY.schema()},
                   summary="Send a webhook_test event to this webhook")
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = endpoint_send_test(endpoint=self.get_object())
        return Response(DELIVERY.build(delivery), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        # A page of deliveries ({"data", "total", "page", "limit"}), with page and limit.
        responses={200: DELIVERY.schema(many=True)},
        summary="The delivery log of this webhook, newest first",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        deliveries = selectors.delivery_list(endpoint=self.get_object())
        page = self.paginate_queryset(self.filter_queryset(deliveries))
        return self.get_paginated_response([DELIVERY.build(d) for d in page])

    @extend_schema(request=None, responses={202: DELIVERY.schema()},
                   summary="Send one delivery again (same webhook-id)")
    @action(detail=True, methods=["post"],
            url_path=r"deliveries/(?P<delivery_id>[^/]+)/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        delivery = selectors.delivery_get(endpoint=self.get_object(), delivery_id=delivery_id)
        delivery_redeliver(delivery=delivery)
        fresh = selectors.delivery_get(endpoint=delivery.endpoint, delivery_id=delivery_id)
        return Response(DELIVERY.build(fresh), status=status.HTTP_202_ACCEPTED)

    def _validated(self, *, partial: bool) -> dict:
        serializer = WebhookInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
