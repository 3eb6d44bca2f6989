"""The one permission layer every endpoint uses.

A request acts for one member of one company (``request.auth`` is an
``ApiContext``). Reading is open to every member. A view names the least role an
action needs in ``required_roles`` (``{"create": Role.ADMIN}``); writing an object
is allowed to admins and owners, and to a member when ``view.owner_id(obj)`` is
their own user id (members manage their own meeting types, schedules,
appointments and calendar connections).
"""

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ...choices import Role
from .auth import ApiContext

MISSING_KEY = (
    "Missing API key: send Authorization: Bearer ak_live:<uuid>:<secret> (a platform API key) "
    "or Bearer rgo-<secret> (a personal access token)"
)


def api_context(request) -> ApiContext:
    ctx = request.auth
    if not isinstance(ctx, ApiContext):
        raise exceptions.NotAuthenticated(MISSING_KEY)
    return ctx


class RolePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        ctx = api_context(request)
        action = getattr(view, "action", None) or request.method.lower()
        needed = getattr(view, "required_roles", {}).get(action, Role.MEMBER)
        if not ctx.has_role(needed):
            raise exceptions.PermissionDenied(f"This action requires the {needed} role")
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        ctx = api_context(request)
        if request.method in SAFE_METHODS or ctx.has_role(Role.ADMIN):
            return True
        owner_id = getattr(view, "owner_id", lambda obj: None)(obj)
        if owner_id is not None and owner_id == ctx.user.pk:
            return True
        raise exceptions.PermissionDenied("Members can only change their own resources")
