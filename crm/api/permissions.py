"""Who may do what to contacts (SPEC section 7, "Who acts")."""

from rest_framework import exceptions

from scheduling.choices import Role
from scheduling.core.api.permissions import RolePermission, api_context

DELETE_FORBIDDEN = "Only owners and admins can delete contacts"


class ContactPermission(RolePermission):
    """Contacts are the company's shared data: every member creates, reads and
    edits them; only owners and admins delete them."""

    def has_permission(self, request, view) -> bool:
        ctx = api_context(request)
        if request.method == "DELETE" and not ctx.has_role(Role.ADMIN):
            raise exceptions.PermissionDenied(DELETE_FORBIDDEN)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return self.has_permission(request, view)
