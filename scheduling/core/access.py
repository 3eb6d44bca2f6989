"""Who a request acts for, in which company, with what rights (SPEC sections 3 and 7,
"Who acts"): the one place that decides it for every entry point.

- ``credential_access`` for an API credential (every ``/v4`` view, the meetergo
  root paths and the workspace API);
- ``member_access`` for a signed-in member (the workspace API's session, the admin)
  and for an address that stands for a member (the appointments feed).

Either gives an ``Access``: the acted-for member, the maker (who authenticated)
and the rights, which are the acted-for user's role capped at the maker's current
role. A maker who was deactivated, removed from the company or demoted below what
the credential needs makes it stop (``Unauthenticated`` naming why).
"""

from dataclasses import dataclass, field

from ..choices import ROLE_RANK, Role
from ..models import ApiKey, ApiKeyKind, Company, Membership, User
from .credentials import api_key_authenticate, creator_membership
from .errors import Forbidden, Unauthenticated
from .lookups import get_by_uuid, parse_uuid

PERSONAL_TOKEN_ACTS_AS_MAKER = (
    "A personal access token acts only as the user who created it; use a platform API "
    "key (ak_live:...) of an owner or admin to act for another user"
)


@dataclass(frozen=True)
class Access:
    """What a request may touch: one company, acting for one of its members."""

    company: Company
    membership: Membership  # the acted-for user's membership
    maker: User  # who authenticated: the credential's maker or the signed-in user
    maker_role: str  # the maker's role in the company now
    api_key: ApiKey | None = None
    # The credential's secret, from which its idempotency records are encrypted.
    secret: str = field(default="", repr=False)
    # An operator of the installation (a superuser in the admin), not a member.
    operator: bool = False

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    @property
    def maker_id(self) -> int:
        return self.maker.pk

    @property
    def role(self) -> str:
        """The acted-for user's role, never above the maker's."""
        return min(Role(self.membership.role), Role(self.maker_role), key=ROLE_RANK.get)

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    @property
    def is_self(self) -> bool:
        """Whether the person behind the request is the acted-for user."""
        return self.maker.pk == self.membership.user_id


def member_access(*, membership: Membership) -> Access:
    """A member acting as themselves (a session, the admin, their feed's address)."""
    if not membership.user.is_active:
        raise Unauthenticated("This user has been deactivated")
    return Access(company=membership.company, membership=membership, maker=membership.user,
                  maker_role=membership.role)


def credential_access(token: str, *, act_as: str = "") -> Access:
    """The access a credential gives, acting for the user whose uuid is ``act_as``
    (empty: its maker). Raises ``Unauthenticated`` (401) for a credential that does
    not work, ``Forbidden`` (403) for a personal token naming someone else and
    ``NotFound`` (404) for a user who is not in the credential's company."""
    api_key, secret = api_key_authenticate(token)
    maker_membership = _maker_membership(api_key)
    membership = _acted_for(api_key, maker_membership, act_as.strip())
    return Access(company=api_key.company, membership=membership, maker=api_key.created_by,
                  maker_role=maker_membership.role, api_key=api_key, secret=secret)


def _maker_membership(api_key: ApiKey) -> Membership:
    if not api_key.created_by.is_active:
        raise Unauthenticated("The API key's creator has been deactivated")
    membership = creator_membership(api_key)
    if membership is None:
        raise Unauthenticated("The API key's creator is no longer a member of its company")
    if api_key.kind == ApiKeyKind.PLATFORM and not membership.has_role(Role.ADMIN):
        raise Unauthenticated("The API key's creator is no longer an owner or admin of its "
                              "company; platform API keys need one of those roles")
    return membership


def _acted_for(api_key: ApiKey, maker_membership: Membership, act_as: str) -> Membership:
    if not act_as or parse_uuid(act_as) == api_key.created_by.uuid:
        return maker_membership
    if api_key.kind == ApiKeyKind.PERSONAL:
        raise Forbidden(PERSONAL_TOKEN_ACTS_AS_MAKER)
    membership = company_membership(company=api_key.company, user_uuid=act_as)
    if not membership.user.is_active:
        raise Forbidden("This user has been deactivated")
    return membership


def company_membership(*, company: Company, user_uuid: str) -> Membership:
    """The membership in ``company`` of the user with ``user_uuid``; else NotFound."""
    members = Membership.objects.select_related("user", "company").filter(company=company)
    return get_by_uuid(members, user_uuid, not_found="User not found", field="user__uuid")


def session_access(*, company_id: int, user: User) -> Access | None:
    """A signed-in user's access in the company ``company_id``; None when they are
    not a member of it."""
    membership = (Membership.objects.select_related("user", "company")
                  .filter(company_id=company_id, user=user).first())
    return None if membership is None else member_access(membership=membership)


def as_access(actor: "Access | Membership") -> Access:
    """Services take an ``Access``; a bare membership (scripts, demo data) acts as
    that member."""
    return actor if isinstance(actor, Access) else member_access(membership=actor)


def operator_access(*, company: Company, user: User) -> Access:
    """An operator of the installation (a superuser) acting in ``company`` with an
    owner's rights, through the admin."""
    membership = Membership(company=company, user=user, role=Role.OWNER)
    return Access(company=company, membership=membership, maker=user, maker_role=Role.OWNER,
                  operator=True)


def may_share_meeting_type(access: Access, meeting_type) -> bool:
    """Whether ``access`` may hand out links of ``meeting_type`` that book it (one-time
    booking links): the rule of changing it (an owner or admin of its company, or the
    member who owns it) widened to whoever hosts it, directly or through its queue."""
    if meeting_type.company_id != access.company.pk:
        return False
    if access.operator or access.has_role(Role.ADMIN) or meeting_type.owner_id == access.user_id:
        return True
    if meeting_type.queue_id:
        return meeting_type.queue.members.filter(pk=access.user_id).exists()
    return meeting_type.hosts.filter(pk=access.user_id).exists()
