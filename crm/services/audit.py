"""The append-only audit log."""

from dataclasses import dataclass

from scheduling.models import ApiKey, Company, User

from ..choices import AuditVia
from ..models import AuditLogEntry


@dataclass(frozen=True)
class Actor:
    """Who is behind a change: the authenticated user, whom they act for, and how."""

    via: str
    user_id: int | None = None
    acting_for_id: int | None = None
    api_key: ApiKey | None = None

    @classmethod
    def from_api_context(cls, ctx) -> "Actor":
        """From ``scheduling.api.auth.ApiContext`` (an API key or a logged-in member)."""
        if ctx.api_key is not None:
            return cls(via=AuditVia.API_KEY, user_id=ctx.api_key.created_by_id,
                       acting_for_id=ctx.user.pk, api_key=ctx.api_key)
        return cls(via=AuditVia.SESSION, user_id=ctx.user.pk, acting_for_id=ctx.user.pk)

    @classmethod
    def admin(cls, user: User) -> "Actor":
        return cls(via=AuditVia.ADMIN, user_id=user.pk, acting_for_id=user.pk)


SYSTEM = Actor(via=AuditVia.SYSTEM)


def audit_record(
    *, company: Company, actor: Actor, action: str, target_type: str, target_id, snapshot: dict
) -> AuditLogEntry:
    """Append an entry in the caller's transaction (so it rolls back with the change)."""
    return AuditLogEntry.objects.create(
        company=company,
        actor_id=actor.user_id,
        acting_for_id=actor.acting_for_id,
        via=actor.via,
        api_key_id=actor.api_key.uuid if actor.api_key else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        snapshot=snapshot,
    )
