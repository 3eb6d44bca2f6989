"""API keys: ``ak_live:<uuid>:<secret>``, of which only a SHA-256 digest is kept."""

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..errors import DomainError, Unauthenticated
from ..models import ApiKey, Company, Membership, User

PREFIX = "ak_live"
MIN_DAYS, MAX_DAYS = 1, 90


def digest(secret: str) -> str:
    # A fast hash is right here: the secret has 256 bits of entropy, so a slow
    # password hasher would add ~100 ms to every request and no security.
    return hashlib.sha256(secret.encode()).hexdigest()


def format_key(api_key: ApiKey, secret: str) -> str:
    return f"{PREFIX}:{api_key.uuid}:{secret}"


def api_key_create(
    *, company: Company, created_by: User, name: str = "", days: int = MAX_DAYS
) -> tuple[ApiKey, str]:
    """Create a key and return it with its full token, which is never shown again."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise DomainError(f"Expiry must be between {MIN_DAYS} and {MAX_DAYS} days", field="days")
    if not Membership.objects.filter(company=company, user=created_by).exists():
        raise DomainError("The key's user must belong to the company", field="created_by")
    secret = secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]
    api_key = ApiKey.objects.create(
        company=company,
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


def parse_token(token: str) -> tuple[uuid.UUID, str] | None:
    prefix, _, rest = token.partition(":")
    key_id, _, secret = rest.partition(":")
    if prefix != PREFIX or not secret:
        return None
    try:
        return uuid.UUID(key_id), secret
    except ValueError:
        return None


def api_key_authenticate(token: str) -> ApiKey:
    """The active key ``token`` names, marked as used; else ``Unauthenticated``."""
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthenticated("Malformed API key: expected ak_live:<uuid>:<secret>")
    key_id, secret = parsed
    # The creator's membership rides along, so a request acting as the key's own
    # user needs no second query (see creator_membership()).
    creator = Membership.objects.filter(
        company_id=OuterRef("company_id"), user_id=OuterRef("created_by_id")
    )
    api_key = (
        ApiKey.objects.select_related("company", "created_by")
        .annotate(
            creator_membership_id=Subquery(creator.values("pk")[:1]),
            creator_role=Subquery(creator.values("role")[:1]),
        )
        .filter(uuid=key_id)
        .first()
    )
    # Compare even when the key is unknown, so timing tells nothing about key ids.
    stored = api_key.secret_digest if api_key else digest("")
    if not hmac.compare_digest(stored, digest(secret)) or api_key is None:
        raise Unauthenticated("Invalid API key")
    if api_key.revoked_at is not None:
        raise Unauthenticated("API key has been revoked")
    if api_key.expires_at <= timezone.now():
        raise Unauthenticated("API key has expired")
    _touch(api_key)
    return api_key


def creator_membership(api_key: ApiKey) -> Membership | None:
    """The membership of the key's creator in its company, from the annotations of
    ``api_key_authenticate`` (other fields load on first use); None once they left."""
    if getattr(api_key, "creator_membership_id", None) is None:
        return None
    membership = Membership.from_db(
        api_key._state.db, ["id", "company_id", "user_id", "role"],
        [api_key.creator_membership_id, api_key.company_id, api_key.created_by_id,
         api_key.creator_role],
    )
    membership.company, membership.user = api_key.company, api_key.created_by
    return membership


def _touch(api_key: ApiKey) -> None:
    # Writing on every request would make each read a write; a minute's precision
    # is what "last used" needs.
    now = timezone.now()
    precision = dt.timedelta(seconds=settings.API_KEY_LAST_USED_PRECISION)
    if api_key.last_used_at is None or now - api_key.last_used_at >= precision:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
