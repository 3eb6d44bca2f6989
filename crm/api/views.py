"""``/v4/crm``: contacts, bulk upsert, search and the timeline."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduling.choices import Role
from scheduling.core.api.base import ApiViewSet
from scheduling.core.api.fields import StrictSerializer
from scheduling.core.api.shapes import (
    Choice,
    Integer,
    ListOf,
    Many,
    Mapping,
    Shape,
    Text,
    Uuid,
    key,
)

from .. import selectors, services
from ..filters import ContactFilterSet
from ..models import Contact
from ..payloads import CONTACT, EVENT
from ..services.validation import from_public_names
from .permissions import ContactPermission


class ContactInput(StrictSerializer):
    """The fields of a contact; rules live in crm.services.validation."""

    firstName = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      trim_whitespace=False)
    lastName = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     trim_whitespace=False)
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    phoneNumber = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False,
                                 allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                  trim_whitespace=False)
    crmCompanyId = serializers.UUIDField(required=False, allow_null=True)
    accountOwnerId = serializers.UUIDField(required=False, allow_null=True)
    additionalData = serializers.DictField(required=False, allow_null=True)

    def to_service_kwargs(self, *, company, partial: bool) -> dict:
        data = from_public_names(self.validated_data)
        try:
            services.contact_fields_clean(company=company, data=data, partial=partial)
        except services.InvalidContact as exc:
            raise serializers.ValidationError(
                {error["field"]: [error["message"]] for error in exc.errors}
            ) from exc
        return data


class BulkInput(StrictSerializer):
    contacts = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=services.MAX_ROWS
    )


BULK_ROW = Shape("ContactBulkRow", {
    "index": Integer("index"),
    "status": Choice(["created", "updated", "unchanged", "error"], "status"),
    "id": Uuid("contact.uuid", null=True),
    "email": Text(lambda row: (row.contact.email or None) if row.contact else None, null=True),
    "errors": ListOf(Mapping, "errors"),
})
BULK_RESULT = Shape("ContactBulkResult", {
    "created": Integer(key("created")),
    "updated": Integer(key("updated")),
    "unchanged": Integer(key("unchanged")),
    "failed": Integer(key("error")),
    "results": Many(BULK_ROW, key("results")),
}, prepare=lambda results: {**services.bulk.summary(results), "results": results})


@extend_schema(tags=["CRM"], parameters=[
    OpenApiParameter("id", str, OpenApiParameter.PATH,
                     description="The contact's id (or, for GET, an attendeeId)"),
])
class ContactViewSet(ApiViewSet):
    """Members create, read and edit the company's contacts; owners and admins delete."""

    serializer_class = ContactInput
    queryset = Contact.objects.none()  # for the schema; reads go through crm.selectors
    permission_classes = [ContactPermission]
    filtersets = {"list": ContactFilterSet}
    required_roles = {"destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_object(self):
        return selectors.contact_get(company=self.ctx.company, contact_id=self.kwargs["pk"])

    @property
    def actor(self) -> services.Actor:
        return services.Actor.from_api_context(self.ctx)

    @extend_schema(responses={200: CONTACT.schema()})
    def list(self, request):
        contacts = self.filter_queryset(selectors.contact_list(company=self.ctx.company))
        # A separate count, not COUNT(*) OVER (): with the window PostgreSQL 15
        # may walk the created_at index over every row for an unselective term.
        page = self.paginate_queryset(selectors.with_related(contacts))
        return self.get_paginated_response([CONTACT.build(c) for c in page])

    @extend_schema(request=ContactInput, responses={201: CONTACT.schema()})
    def create(self, request):
        data = self._input(partial=False)
        contact = services.contact_create(company=self.ctx.company, actor=self.actor, **data)
        return Response(CONTACT.build(contact), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CONTACT.schema()},
                   summary="A contact by its id, or by the attendeeId of one of its bookings")
    def retrieve(self, request, pk=None):
        return Response(CONTACT.build(self.get_object()))

    @extend_schema(responses={200: CONTACT.schema()},
                   parameters=[OpenApiParameter("attendee_id", str, OpenApiParameter.PATH)],
                   summary="The contact of a booking's attendee (the attendeeId of webhooks)")
    @action(detail=False, methods=["get"], url_path=r"attendee/(?P<attendee_id>[^/.]+)")
    def attendee(self, request, attendee_id=None):
        return Response(CONTACT.build(
            selectors.contact_get(company=self.ctx.company, contact_id=attendee_id)))

    @extend_schema(request=ContactInput, responses={200: CONTACT.schema()})
    def partial_update(self, request, pk=None):
        contact = self.get_object()
        data = self._input(partial=True)
        contact = services.contact_update(contact=contact, actor=self.actor, **data)
        return Response(CONTACT.build(contact))

    @extend_schema(responses={200: CONTACT.schema()},
                   summary="Delete a contact and its timeline; answers the contact as it was")
    def destroy(self, request, pk=None):
        contact = self.get_object()
        self.check_object_permissions(request, contact)
        body = CONTACT.build(contact)
        services.contact_delete(contact=contact, actor=self.actor)
        return Response(body)

    @extend_schema(request=BulkInput, responses={200: BULK_RESULT.schema()},
                   summary="Create or update up to 1,000 contacts, matched by email")
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.contacts_bulk_upsert(
            company=self.ctx.company, rows=serializer.validated_data["contacts"], actor=self.actor
        )
        return Response(BULK_RESULT.build(results))

    @extend_schema(responses={200: EVENT.schema(many=True)},  # a page, with page and limit
                   summary="The contact's timeline, newest first")
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        contact = self.get_object()
        page = self.paginate_queryset(selectors.event_list(contact=contact))
        for event in page:
            event.contact = contact
        return self.get_paginated_response([EVENT.build(e) for e in page])

    def _input(self, *, partial: bool) -> dict:
        serializer = ContactInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs(company=self.ctx.company, partial=partial)
