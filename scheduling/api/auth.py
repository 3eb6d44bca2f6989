"""Bearer API keys, and who a request acts for (SPEC section 7, "Who acts")."""

import uuid
from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from ..errors import Unauthenticated
from ..models import ApiKey, Company, Membership, User
from ..services.api_keys import api_key_authenticate, creator_membership

ACT_AS_HEADER = "HTTP_X_MEETERGO_API_USER_ID"


@dataclass(frozen=True)
class ApiContext:
    """What a request may touch: one company, acting as one of its members."""

    company: Company
    membership: Membership
    api_key: ApiKey | None = None

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def role(self) -> str:
        return self.membership.role

    def has_role(self, role: str) -> bool:
        return self.membership.has_role(role)


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer ak_live:<uuid>:<secret>``, optionally acting for
    the company's user named in ``x-meetergo-api-user-id``."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # the permission layer answers 401 (or another scheme may apply)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected Bearer")
        try:
            api_key = api_key_authenticate(token.strip())
        except Unauthenticated as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        membership = self._acting_membership(request, api_key)
        return membership.user, ApiContext(
            company=api_key.company, membership=membership, api_key=api_key
        )

    def _acting_membership(self, request, api_key: ApiKey) -> Membership:
        raw = request.META.get(ACT_AS_HEADER, "").strip()
        memberships = Membership.objects.select_related("user", "company")
        if not raw:
            found = creator_membership(api_key)
            if found is None:
                raise exceptions.AuthenticationFailed("The API key's user left the company")
            return found
        try:
            user_uuid = uuid.UUID(raw)
        except ValueError:
            user_uuid = None
        found = memberships.filter(company=api_key.company, user__uuid=user_uuid).first()
        if user_uuid is None or found is None:
            raise exceptions.NotFound("User not found")
        return found

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "scheduling.api.auth.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ak_live:<uuid>:<secret>",
            "description": (
                "An API key. Add `x-meetergo-api-user-id: <user uuid>` to act for another "
                "user of the key's company."
            ),
        }
