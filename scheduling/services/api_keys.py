"""Making and revoking a company's credentials, of two kinds (SPEC section 3):

- platform API keys ``ak_live:<uuid>:<secret>``, made only by owners and admins,
  which may act for any user of the company;
- personal access tokens ``rgo-<secret>``, which any member makes for themselves
  and which act only as that member.

Their format and how a request's token is read are ``scheduling/core/credentials.py``;
what a credential may do on a request is decided in ``scheduling/core/access.py``.
"""

import datetime as dt
import secrets

from django.utils import timezone

from ..choices import Role
from ..core.credentials import digest, format_key
from ..core.errors import DomainError, Forbidden
from ..models import ApiKey, ApiKeyKind, Company, Membership, User

MIN_DAYS, MAX_DAYS = 1, 90


def check_may_create(*, maker: Membership, kind: str) -> None:
    """Owners and admins make platform keys; every member makes personal tokens."""
    if kind not in ApiKeyKind.values:
        raise DomainError(f"Unknown credential kind: {kind}. Use one of: "
                          f"{', '.join(ApiKeyKind.values)}", field="kind")
    if kind == ApiKeyKind.PLATFORM and not maker.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can create platform API keys; "
                        "members create personal access tokens", field="kind")


def api_key_create(
    *, company: Company, created_by: User, name: str = "", days: int = MAX_DAYS,
    kind: str = ApiKeyKind.PLATFORM,
) -> tuple[ApiKey, str]:
    """Create a credential made by ``created_by`` and return it with its full token,
    which is never shown again."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise DomainError(f"Expiry must be between {MIN_DAYS} and {MAX_DAYS} days", field="days")
    maker = Membership.objects.filter(company=company, user=created_by).first()
    if maker is None:
        raise DomainError("The key's user must belong to the company", field="created_by")
    if not created_by.is_active:
        raise DomainError("A deactivated user cannot create credentials", field="created_by")
    check_may_create(maker=maker, kind=kind)
    secret = secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]
    api_key = ApiKey.objects.create(
        company=company,
        kind=kind,
        created_by=created_by,
        name=name,
        secret_digest=digest(secret),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return api_key, format_key(api_key, secret)


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
