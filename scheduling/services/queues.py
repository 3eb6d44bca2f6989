"""Queues: teams that share a meeting type, round robin or co-host."""

import uuid

from django.db import transaction

from ..choices import Role
from ..core.access import Access
from ..core.errors import Conflict, DomainError, Forbidden
from ..models import Company, Membership, Queue, QueueMember, User


def company_users(*, company: Company, user_ids, field: str) -> list[User]:
    """The company's users with these uuids, in the given order (one query).

    An id that is not a user of ``company`` (another company's included) is a
    DomainError naming ``<field>.<index>``, so nothing is ever linked across companies.
    """
    if not isinstance(user_ids, list | tuple):
        raise DomainError("Expected a list of user ids", field=field)
    wanted = []
    for index, raw in enumerate(user_ids):
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise DomainError("Not a valid user id", field=f"{field}.{index}") from exc
    found = {
        m.user.uuid: m.user
        for m in Membership.objects.filter(company=company, user__uuid__in=wanted)
        .select_related("user")
    }
    users = []
    for index, user_uuid in enumerate(wanted):
        if user_uuid not in found:
            raise DomainError("User not found in this company", field=f"{field}.{index}")
        if found[user_uuid] not in users:
            users.append(found[user_uuid])
    return users


def _check_admin(actor: Access) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can manage queues")


@transaction.atomic
def queue_create(*, company: Company, actor: Access, name: str, kind: str,
                 member_ids: list) -> Queue:
    """A queue of company users; ``kind`` is round_robin or co_host."""
    _check_admin(actor)
    members = company_users(company=company, user_ids=member_ids, field="memberIds")
    queue = Queue.objects.create(company=company, name=name, kind=kind)
    _set_members(queue, members)
    return queue


@transaction.atomic
def queue_update(*, queue: Queue, actor: Access, **changes) -> Queue:
    """Change ``name``, ``kind`` or ``member_ids`` (the members are replaced whole)."""
    _check_admin(actor)
    fields = [name for name in ("name", "kind") if name in changes]
    for name in fields:
        setattr(queue, name, changes[name])
    if fields:
        queue.save(update_fields=fields)
    if "member_ids" in changes:
        members = company_users(company=queue.company, user_ids=changes["member_ids"],
                                field="memberIds")
        _set_members(queue, members)
    return queue


@transaction.atomic
def queue_delete(*, queue: Queue, actor: Access) -> None:
    """Delete a queue no meeting type uses."""
    _check_admin(actor)
    if queue.meeting_types.exists():
        raise Conflict("This queue is used by meeting types; move them to other hosts first")
    queue.delete()


def _set_members(queue: Queue, members: list[User]) -> None:
    keep = {user.pk for user in members}
    QueueMember.objects.filter(queue=queue).exclude(user_id__in=keep).delete()
    present = set(QueueMember.objects.filter(queue=queue).values_list("user_id", flat=True))
    QueueMember.objects.bulk_create(
        QueueMember(queue=queue, user=user) for user in members if user.pk not in present
    )
