"""Bearer credentials, and who a request acts for (SPEC section 7, "Who acts").

The decision is ``core.access.credential_access``'s; this module reads the
headers and turns its refusals into DRF's errors.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from ..access import Access, credential_access
from ..errors import Forbidden, NotFound, Unauthenticated

ACT_AS_HEADER = "HTTP_X_MEETERGO_API_USER_ID"

# What every view sees as ``request.auth``.
ApiContext = Access


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer ak_live:<uuid>:<secret>`` (a platform key, optionally
    acting for the company's user named in ``x-meetergo-api-user-id``) or
    ``Authorization: Bearer rgo-<secret>`` (a personal access token)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # the permission layer answers 401 (or another scheme may apply)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected Bearer")
        try:
            access = credential_access(token.strip(), act_as=request.META.get(ACT_AS_HEADER, ""))
        except Unauthenticated as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        except Forbidden as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise exceptions.NotFound(exc.message) from exc
        return access.user, access

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "scheduling.core.api.auth.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ak_live:<uuid>:<secret> | rgo-<secret>",
            "description": (
                "A platform API key `ak_live:<uuid>:<secret>` (made by owners and admins; add "
                "`x-meetergo-api-user-id: <user uuid>` to act for another user of the key's "
                "company) or a personal access token `rgo-<secret>` (acts only as its maker). "
                "A credential never has more rights than its maker has now."
            ),
        }
