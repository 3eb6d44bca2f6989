"""The append-only audit log."""

from dataclasses import dataclass

from scheduling.models import ApiKey, Company, User

from ..choices import AuditVia
from ..models import AuditLogEntry


@dataclass(frozen=True)
class Actor:
    """Who is behind a change: the authenticated user, whom they act for, and how.

    It carries the users themselves so the entry can store their email and
    name without another query.
    """

    via: str
    user: User | None = None
    acting_for: User | None = None
    api_key: ApiKey | None = None

    @classmethod
    def from_api_context(cls, ctx) -> "Actor":
        """From ``scheduling.api.auth.ApiContext`` (an API key or a logged-in member)."""
        if ctx.api_key is not None:
            # The key is loaded with its creator, so this costs no query.
            return cls(via=AuditVia.API_KEY, user=ctx.api_key.created_by,
                       acting_for=ctx.user, api_key=ctx.api_key)
        return cls(via=AuditVia.SESSION, user=ctx.user, acting_for=ctx.user)

    @classmethod
    def admin(cls, user: User) -> "Actor":
        return cls(via=AuditVia.ADMIN, user=user, acting_for=user)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def acting_for_id(self) -> int | None:
        return self.acting_for.pk if self.acting_for is not None else None


SYSTEM = Actor(via=AuditVia.SYSTEM)


def audit_record(
    *, company: Company, actor: Actor, action: str, target_type: str, target_id, snapshot: dict
) -> AuditLogEntry:
    """Append an entry in the caller's transaction (so it rolls back with the change).

    The company's and the users' names are stored beside the links, so the entry
    still says who and whose after they are deleted.
    """
    return AuditLogEntry.objects.create(
        company=company,
        company_name=company.name,
        company_uuid=company.uuid,
        actor=actor.user,
        actor_email=_email(actor.user),
        actor_name=_name(actor.user),
        acting_for=actor.acting_for,
        acting_for_email=_email(actor.acting_for),
        acting_for_name=_name(actor.acting_for),
        via=actor.via,
        api_key_id=actor.api_key.uuid if actor.api_key else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        snapshot=snapshot,
    )


def _email(user: User | None) -> str:
    return user.email if user is not None else ""


def _name(user: User | None) -> str:
    return user.full_name if user is not None else ""
