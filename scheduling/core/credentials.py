"""Reading a credential (SPEC section 3): the two token formats, the digest kept of
their secret, and finding the active credential a request presents.

- platform API keys ``ak_live:<uuid>:<secret>``, which may act for any user of the
  company;
- personal access tokens ``rgo-<secret>``, which act only as their maker.

Only a SHA-256 digest of the secret is kept. What a credential may do on a request
is decided in ``access.py``; making and revoking credentials is
``scheduling/services/api_keys.py``.
"""

import datetime as dt
import hashlib
import hmac
import uuid

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..models import ApiKey, ApiKeyKind, Membership
from .errors import Unauthenticated

PREFIX = "ak_live"
PERSONAL_PREFIX = "rgo-"
MALFORMED = ("Malformed credential: expected a platform API key ak_live:<uuid>:<secret> "
             "or a personal access token rgo-<secret>")


def digest(secret: str) -> str:
    # A fast hash is right here: the secret has 256 bits of entropy, so a slow
    # password hasher would add ~100 ms to every request and no security.
    return hashlib.sha256(secret.encode()).hexdigest()


def format_key(api_key: ApiKey, secret: str) -> str:
    if api_key.kind == ApiKeyKind.PERSONAL:
        return f"{PERSONAL_PREFIX}{secret}"
    return f"{PREFIX}:{api_key.uuid}:{secret}"


def parse_token(token: str) -> tuple[uuid.UUID | None, str] | None:
    """``(key uuid, secret)`` of a platform key, ``(None, secret)`` of a personal
    token, None when ``token`` is neither."""
    if token.startswith(PERSONAL_PREFIX):
        secret = token[len(PERSONAL_PREFIX):]
        return (None, secret) if secret else None
    prefix, _, rest = token.partition(":")
    key_id, _, secret = rest.partition(":")
    if prefix != PREFIX or not secret:
        return None
    try:
        return uuid.UUID(key_id), secret
    except ValueError:
        return None


def api_key_authenticate(token: str) -> tuple[ApiKey, str]:
    """The active credential ``token`` names and its secret, marked as used; else
    ``Unauthenticated``. Whether its maker may still use it is ``access``'s call."""
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthenticated(MALFORMED)
    key_id, secret = parsed
    # The creator's membership rides along, so a request acting as the key's own
    # user needs no second query (see creator_membership()).
    creator = Membership.objects.filter(
        company_id=OuterRef("company_id"), user_id=OuterRef("created_by_id")
    )
    found = (
        ApiKey.objects.select_related("company", "created_by")
        .annotate(
            creator_membership_id=Subquery(creator.values("pk")[:1]),
            creator_role=Subquery(creator.values("role")[:1]),
        )
    )
    if key_id is None:
        found = found.filter(kind=ApiKeyKind.PERSONAL, secret_digest=digest(secret))
    else:
        found = found.filter(kind=ApiKeyKind.PLATFORM, uuid=key_id)
    api_key = found.first()
    # Compare even when the key is unknown, so timing tells nothing about key ids.
    stored = api_key.secret_digest if api_key else digest("")
    if not hmac.compare_digest(stored, digest(secret)) or api_key is None:
        raise Unauthenticated("Invalid API key")
    if api_key.revoked_at is not None:
        raise Unauthenticated("API key has been revoked")
    if api_key.expires_at <= timezone.now():
        raise Unauthenticated("API key has expired")
    _touch(api_key)
    return api_key, secret


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
