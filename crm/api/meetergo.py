"""``/crm``: contacts in meetergo's shapes, at the host root.

Follows meetergo's developer-docs/core-concepts/contacts and api-reference/contacts
(create-a-contact, search-contacts, get-contact-details). Every answer about one
contact is ``{item, appointments, nextAppointmentIso}``; the search answers
``{result, page, limit, total, totalPages}``. ``/v4/crm`` (``views.py``) keeps
Termin's own shapes; both call the same services and selectors.
"""

import math
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduling.choices import Role
from scheduling.core.api.base import ApiViewSet
from scheduling.core.api.fields import StrictSerializer
from scheduling.core.api.pagination import MAX_PAGE
from scheduling.core.api.permissions import api_context
from scheduling.core.api.shapes import Instant, Integer, ListOf, Many, One, Shape, Uuid, key
from scheduling.core.errors import NotFound
from scheduling.payloads import APPOINTMENT

from .. import selectors, services
from ..filters import MeetergoContactFilterSet
from ..models import Contact
from ..payloads import CONTACT_ITEM
from ..selectors import ContactAppointments
from ..services.validation import FROM_PUBLIC
from .permissions import DELETE_FORBIDDEN, ContactPermission
from .views import BULK_RESULT, ContactInput

DETAILS_NEEDS_ID = "Send contactId or attendeeId"
BULK_DELETE_NEEDS_IDS = "Send ids (or contactIds): the contacts to delete"


class ContactBody(ContactInput):
    """The body of ``POST /crm`` and ``PATCH /crm/:id``: a field Termin does not know
    (meetergo's read-only ``language`` among them) is a 400 naming it."""


class SearchPage(serializers.Serializer):
    """meetergo's pages of ``GET /crm``; its filters are ``MeetergoContactFilterSet``'s."""

    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class DetailsQuery(StrictSerializer):
    contactId = serializers.UUIDField(required=False)
    attendeeId = serializers.UUIDField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"contactId": [DETAILS_NEEDS_ID]})
        return attrs


class BulkBody(StrictSerializer):
    contacts = serializers.ListField(child=serializers.JSONField(), allow_empty=False,
                                     max_length=services.MAX_ROWS)

    def validate_contacts(self, rows):
        """Rows are checked one by one by the service; a field no row may carry is
        refused here, for the whole call, so nothing is dropped silently."""
        unknown = {
            f"{index}.{name}": [f"Unknown field {name!r}: this endpoint does not "
                                         "support it"]
            for index, row in enumerate(rows) if isinstance(row, dict)
            for name in sorted(set(row) - set(FROM_PUBLIC))
        }
        if unknown:
            raise serializers.ValidationError(unknown)
        return rows


class BulkDeleteBody(StrictSerializer):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False,
                                allow_empty=False, max_length=services.MAX_ROWS)
    contactIds = serializers.ListField(child=serializers.UUIDField(), required=False,
                                       allow_empty=False, max_length=services.MAX_ROWS)

    def validate(self, attrs):
        ids = list(dict.fromkeys([*attrs.get("ids", []), *attrs.get("contactIds", [])]))
        if not ids:
            raise serializers.ValidationError({"ids": [BULK_DELETE_NEEDS_IDS]})
        if len(ids) > services.MAX_ROWS:
            raise serializers.ValidationError(
                {"ids": [f"At most {services.MAX_ROWS} contacts per call"]})
        return ids


class _Details(NamedTuple):
    contact: Contact
    found: ContactAppointments


# meetergo's answer about one contact.
DETAILS = Shape("CrmContactDetails", {
    "item": One(CONTACT_ITEM, "contact"),
    "appointments": Many(APPOINTMENT, "found.appointments",
                         "The contact's appointments, newest first "
                         f"(at most {selectors.APPOINTMENTS_SHOWN})"),
    "nextAppointmentIso": Instant("found.next_start",
                                  "Start of the next upcoming appointment, if any", null=True),
}, prepare=_Details)
SEARCH_RESULT = Shape("CrmContactSearchResult", {
    "result": Many(DETAILS, key("result"), built=True),
    "page": Integer(key("page")),
    "limit": Integer(key("limit")),
    "total": Integer(key("total")),
    "totalPages": Integer(key("totalPages")),
}, envelope=True)
BULK_DELETED = Shape("CrmContactBulkDeleteResult", {
    "deleted": Integer(len),
    "ids": ListOf(Uuid, lambda ids: [str(one) for one in ids]),
})

# meetergo's page and limit (the filters are the FilterSet's).
SEARCH_PARAMETERS = [
    OpenApiParameter("page", int, description="From 1 (default 1)"),
    OpenApiParameter("limit", int, description="1 to 100 (default 20)"),
]
ID_PARAMETER = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The contact's id")


class MeetergoContactPermission(ContactPermission):
    """As ``/v4/crm``: members create, read and edit; owners and admins delete, also in bulk."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "bulk_delete" and not api_context(request).has_role(
                Role.ADMIN):
            raise exceptions.PermissionDenied(DELETE_FORBIDDEN)
        return super().has_permission(request, view)


def details_bodies(contacts: list[Contact]) -> list[dict]:
    found = selectors.contacts_appointments(contacts, now=timezone.now())
    return [DETAILS.build(contact, found[contact.pk]) for contact in contacts]


@extend_schema(tags=["CRM (meetergo)"])
class MeetergoContactViewSet(ApiViewSet):
    serializer_class = ContactBody
    queryset = Contact.objects.none()  # for the schema; reads go through crm.selectors
    permission_classes = [MeetergoContactPermission]
    pagination_class = None  # meetergo's envelope is built here
    filtersets = {"list": MeetergoContactFilterSet}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @property
    def actor(self) -> services.Actor:
        return services.Actor.from_api_context(self.ctx)

    def get_object(self) -> Contact:
        return selectors.contact_get(company=self.ctx.company, contact_id=self.kwargs["pk"])

    @extend_schema(parameters=SEARCH_PARAMETERS, responses={200: SEARCH_RESULT.schema()},
                   summary="Search contacts (page from 1)")
    def list(self, request):
        contacts = self.filter_queryset(selectors.contact_list(company=self.ctx.company))
        query = SearchPage(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, limit = query.validated_data["page"], query.validated_data["limit"]
        total = contacts.count()
        rows = list(selectors.with_related(contacts)[(page - 1) * limit:page * limit])
        return Response(SEARCH_RESULT.build({
            "result": details_bodies(rows), "page": page, "limit": limit, "total": total,
            "totalPages": math.ceil(total / limit)}))

    @extend_schema(request=ContactBody, responses={201: DETAILS.schema()},
                   summary="Create a contact (email or phoneNumber required)")
    def create(self, request):
        data = self._input(partial=False)
        contact = services.contact_create(company=self.ctx.company, actor=self.actor, **data)
        return Response(details_bodies([contact])[0], status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[
        OpenApiParameter("contactId", str, description="The contact's id"),
        OpenApiParameter("attendeeId", str, description="An attendee id of one of its bookings"),
    ], responses={200: DETAILS.schema()}, summary="A contact by its id or an attendee id")
    @action(detail=False, methods=["get"])
    def details(self, request):
        query = DetailsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        contact_id = query.validated_data.get("contactId")
        attendee_id = query.validated_data.get("attendeeId")
        company = self.ctx.company
        contact = contact_id and selectors.contact_get(company=company, contact_id=contact_id)
        if attendee_id:
            by_attendee = selectors.contact_get_by_attendee(company=company,
                                                            attendee_id=attendee_id)
            if contact and contact.pk != by_attendee.pk:  # both given: they must agree
                raise NotFound(selectors.CONTACT_NOT_FOUND)
            contact = by_attendee
        return Response(details_bodies([contact])[0])

    @extend_schema(parameters=[ID_PARAMETER], responses={200: DETAILS.schema()},
                   summary="A contact by its id (as /crm/details?contactId=)")
    def retrieve(self, request, pk=None):
        return Response(details_bodies([self.get_object()])[0])

    @extend_schema(parameters=[ID_PARAMETER], request=ContactBody,
                   responses={200: DETAILS.schema()},
                   summary="Change the fields given; tags given replace the contact's tags")
    def partial_update(self, request, pk=None):
        contact = self.get_object()
        data = self._input(partial=True)
        contact = services.contact_update(contact=contact, actor=self.actor, **data)
        return Response(details_bodies([contact])[0])

    @extend_schema(parameters=[ID_PARAMETER], responses={200: DETAILS.schema()},
                   summary="Delete a contact and its timeline; answers it as it was")
    def destroy(self, request, pk=None):
        contact = self.get_object()
        body = details_bodies([contact])[0]
        services.contact_delete(contact=contact, actor=self.actor)
        return Response(body)

    @extend_schema(request=BulkBody, responses={200: BULK_RESULT.schema()},
                   summary="Create or update up to 1,000 contacts, matched by email "
                   "({contacts: [...]} or a bare array)")
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = {"contacts": request.data} if isinstance(request.data, list) else request.data
        body = BulkBody(data=data)
        body.is_valid(raise_exception=True)
        results = services.contacts_bulk_upsert(
            company=self.ctx.company, rows=body.validated_data["contacts"], actor=self.actor)
        return Response(BULK_RESULT.build(results))

    @extend_schema(request=BulkDeleteBody, responses={200: BULK_DELETED.schema()},
                   summary="Delete contacts by id, all or none (owners and admins)")
    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request):
        data = {"ids": request.data} if isinstance(request.data, list) else request.data
        body = BulkDeleteBody(data=data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data
        contacts = selectors.contacts_by_ids(company=self.ctx.company, ids=ids)
        found = {contact.uuid for contact in contacts}
        missing = [str(key) for key in ids if key not in found]
        if missing:  # another company's contact is not found either; nothing is deleted
            raise NotFound(f"{selectors.CONTACT_NOT_FOUND}: {', '.join(missing)}")
        with transaction.atomic():
            for contact in contacts:
                services.contact_delete(contact=contact, actor=self.actor)
        return Response(BULK_DELETED.build(ids))

    def _input(self, *, partial: bool) -> dict:
        serializer = ContactBody(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs(company=self.ctx.company, partial=partial)
