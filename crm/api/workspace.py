"""The workspace contacts API (``/api/workspaces/:workspaceId/contacts``).

Integer ids, snake_case, Unix timestamps and ``{"error": "<message>"}`` errors,
as its reference documents. Open to members logged in with a Django session
(unsafe methods need the CSRF token, as with any session) and to API keys.
Either way the request acts within the workspace of the URL: a key of another
company, or a logged-in user who is not a member, gets 404 "Workspace not
found", the same answer as for a workspace that does not exist.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from scheduling.choices import Role
from scheduling.core.access import session_access
from scheduling.core.api.auth import ApiContext, ApiKeyAuthentication
from scheduling.core.api.base import ApiView
from scheduling.core.api.errors import exception_handler as api_exception_handler
from scheduling.core.api.errors import workspace_error_body
from scheduling.core.api.filters import filtered
from scheduling.core.api.pagination import MAX_PAGE
from scheduling.core.api.shapes import Boolean, Integer, Many, One, Shape, itself, key

from .. import selectors, services
from ..filters import WorkspaceContactFilterSet
from ..models import Contact
from ..payloads import WORKSPACE_CONTACT, WORKSPACE_CONTACT_FIELDS, WORKSPACE_EVENT
from .permissions import DELETE_FORBIDDEN

WORKSPACE_NOT_FOUND = "Workspace not found"
AUTHENTICATION_REQUIRED = "Authentication required"


class WorkspaceSessionAuthentication(SessionAuthentication):
    """A logged-in member of the URL's workspace, as the same ``ApiContext`` an API
    key gives (with no key), so permissions and services see no difference."""

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if user is None or not user.is_active:
            return None
        self.enforce_csrf(request)
        workspace_id = request.parser_context["kwargs"]["workspace_id"]
        access = session_access(company_id=workspace_id, user=user)
        if access is None:
            raise exceptions.NotFound(WORKSPACE_NOT_FOUND)
        return user, access


class WorkspaceSessionScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.workspace.WorkspaceSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "A logged-in member's Django session (send the CSRF token "
                               "in X-CSRFToken on DELETE)."}


class WorkspaceMember(BasePermission):
    """A member of the URL's workspace; deleting needs an owner or admin."""

    def has_permission(self, request, view) -> bool:
        ctx = request.auth
        if not isinstance(ctx, ApiContext):
            raise exceptions.NotAuthenticated(AUTHENTICATION_REQUIRED)
        if ctx.company.pk != view.kwargs["workspace_id"]:
            raise exceptions.NotFound(WORKSPACE_NOT_FOUND)
        if request.method == "DELETE" and not ctx.has_role(Role.ADMIN):
            raise exceptions.PermissionDenied(DELETE_FORBIDDEN)
        return True


def workspace_exception_handler(exc, context):
    """The /v4 handler's decision, answered as ``{"error": "<message>"}``."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    body = response.data
    errors = [e for e in body.get("errors", []) if e.get("field")]
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or body["message"]
    response.data = workspace_error_body(str(message))
    return response


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=50)


def paginated(request, queryset, shape) -> Response:
    """A page of ``queryset`` in ``shape`` (``CONTACT_PAGE`` or ``EVENT_PAGE``)."""
    query = PageQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    page, limit = query.validated_data["page"], query.validated_data["limit"]
    offset = (page - 1) * limit
    return Response(shape.build({"items": queryset[offset : offset + limit],
                                 "total": queryset.count(), "page": page, "limit": limit}))


class WorkspaceView(ApiView):
    authentication_classes = [ApiKeyAuthentication, WorkspaceSessionAuthentication]
    permission_classes = [WorkspaceMember]

    def get_exception_handler(self):
        return workspace_exception_handler

    def contact(self, contact_id: int):
        return selectors.contact_get_by_pk(company=self.ctx.company, pk=contact_id)


def _page(name: str, items_key: str, item: Shape) -> Shape:
    """The workspace API's page: ``{<items>, total, page, limit}``."""
    return Shape(name, {
        items_key: Many(item, key("items")),
        "total": Integer(key("total")),
        "page": Integer(key("page")),
        "limit": Integer(key("limit")),
    })


CONTACT_PAGE = _page("WorkspaceContactList", "contacts", WORKSPACE_CONTACT)
EVENT_PAGE = _page("WorkspaceContactEvents", "events", WORKSPACE_EVENT)
CONTACT_DETAIL = Shape("WorkspaceContactDetail", {
    "contact": One(WORKSPACE_CONTACT_FIELDS, itself),
})
OK = Shape("WorkspaceOk", {"ok": Boolean(lambda _: True)})
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description=f"Page number (1-{MAX_PAGE})", default=1),
    OpenApiParameter("limit", int, description="Items per page (1-100)", default=50),
]


@extend_schema(tags=["Workspace contacts"])
class ContactListView(WorkspaceView):
    queryset = Contact.objects.none()  # for the schema, which documents the filters
    filterset_class = WorkspaceContactFilterSet

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses={200: CONTACT_PAGE.schema()},
        summary="Contacts of the workspace, most recently seen first",
        operation_id="workspace_contacts_list",
    )
    def get(self, request, workspace_id: int):
        contacts = filtered(self.filterset_class, request,
                            selectors.contact_list_recently_seen(company=self.ctx.company))
        return paginated(request, contacts, CONTACT_PAGE)


@extend_schema(tags=["Workspace contacts"])
class ContactDetailView(WorkspaceView):
    @extend_schema(responses={200: CONTACT_DETAIL.schema()},
                   summary="One contact (without its timeline figures)")
    def get(self, request, workspace_id: int, contact_id: int):
        return Response(CONTACT_DETAIL.build(self.contact(contact_id)))

    @extend_schema(responses={200: OK.schema()}, summary="Delete a contact and its events")
    def delete(self, request, workspace_id: int, contact_id: int):
        contact = self.contact(contact_id)
        services.contact_delete(contact=contact, actor=services.Actor.from_api_context(self.ctx))
        return Response(OK.build(contact))


@extend_schema(tags=["Workspace contacts"])
class ContactEventsView(WorkspaceView):
    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: EVENT_PAGE.schema()},
                   summary="The contact's timeline, most recent first")
    def get(self, request, workspace_id: int, contact_id: int):
        events = selectors.event_list(contact=self.contact(contact_id))
        return paginated(request, events, EVENT_PAGE)
