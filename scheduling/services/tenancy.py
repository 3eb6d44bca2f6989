"""Companies, users and their roles."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from webhooks import events
from webhooks.services.outbox import emit

from .. import invitations
from ..choices import Role
from ..core.access import Access, as_access, company_membership
from ..core.errors import Conflict, DomainError, Forbidden
from ..core.timeutils import check_timezone
from ..models import (
    RESERVED_SLUGS,
    ApiKey,
    AvailabilitySchedule,
    CalendarConnection,
    Company,
    MeetingType,
    Membership,
    QueueMember,
    User,
)
from ..payloads import user_payload
from . import appointments as appointment_services
from . import meeting_types as meeting_type_services
from . import schedules as schedule_services


def _unique_slug(model, base: str, fallback: str) -> str:
    base = (slugify(base) or slugify(fallback) or "user")[:60]
    candidate, n = base, 1
    while candidate in RESERVED_SLUGS or model.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def check_slug_free(model, slug: str, exclude_pk: int | None = None) -> str:
    slug = slugify(slug)
    if not slug or slug in RESERVED_SLUGS:
        raise DomainError("This slug is not allowed", field="slug")
    if model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        raise Conflict("This slug is already taken", field="slug")
    return slug


@transaction.atomic
def company_create(
    *,
    name: str,
    owner_email: str,
    owner_given_name: str = "",
    owner_family_name: str = "",
    slug: str | None = None,
    timezone: str = "UTC",
) -> tuple[Company, User]:
    """Create a company and its first owner (an existing user is reused by email)."""
    zone = check_timezone(timezone)
    company_slug = check_slug_free(Company, slug) if slug else _unique_slug(Company, name, "co")
    company = Company.objects.create(name=name, slug=company_slug, timezone=zone)
    owner = User.objects.filter(email__iexact=owner_email).first()
    if owner is None:
        owner = _user_insert(
            email=owner_email, given_name=owner_given_name, family_name=owner_family_name,
            timezone=zone, slug=None,
        )
        invitations.on_user_created(owner, company=company)
    Membership.objects.create(company=company, user=owner, role=Role.OWNER)
    return company, owner


@transaction.atomic
def company_update(*, company: Company, actor: Access, name: str | None = None,
                   timezone: str | None = None) -> Company:
    """Rename a company or change its time zone (owners and admins)."""
    if not actor.has_role(Role.ADMIN) or actor.company.pk != company.pk:
        raise Forbidden("Only the company's owners and admins can change it")
    fields = {}
    if name is not None:
        fields["name"] = name.strip()[:200] or company.name
    if timezone is not None:
        fields["timezone"] = check_timezone(timezone)
    Company.objects.filter(pk=company.pk).update(**fields)
    for key, value in fields.items():
        setattr(company, key, value)
    return company


def _user_insert(*, email, given_name, family_name, timezone, slug) -> User:
    slug = check_slug_free(User, slug) if slug else _unique_slug(
        User, f"{given_name} {family_name}", email.split("@")[0]
    )
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, given_name=given_name, family_name=family_name,
                timezone=timezone, slug=slug,
            )
    except IntegrityError as exc:
        raise Conflict("A user with this email already exists", field="email") from exc


def check_may_assign_role(actor: Access | Membership, role: str) -> None:
    """Admins hand out member and admin; only owners make owners."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can change roles")
    if role == Role.OWNER and not actor.has_role(Role.OWNER):
        raise Forbidden("Only owners can make a user an owner")


@transaction.atomic
def user_create(
    *,
    company: Company,
    actor: Access | Membership,
    email: str,
    given_name: str = "",
    family_name: str = "",
    timezone: str | None = None,
    role: str = Role.MEMBER,
    slug: str | None = None,
) -> Membership:
    """Add a new user to ``company`` and announce them with ``new_employee``."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can create users")
    check_may_assign_role(actor, role)
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("A user with this email already exists", field="email")
    zone = check_timezone(timezone) if timezone else company.timezone
    user = _user_insert(
        email=email, given_name=given_name, family_name=family_name, timezone=zone, slug=slug
    )
    membership = Membership.objects.create(company=company, user=user, role=role)
    emit(company, events.NEW_EMPLOYEE, user_payload(user, membership.role))
    invitations.on_user_created(user, company=company)
    return membership


# What meetergo provisions for a new user when the request names nothing else.
PROVISIONED_TITLE = "30min Meeting"
PROVISIONED_DURATION = 30


@dataclass(frozen=True)
class Provisioned:
    membership: Membership
    schedule: AvailabilitySchedule
    meeting_type: MeetingType


@transaction.atomic
def user_provision(*, company: Company, actor: Access | Membership,
                   availability: dict | None = None, meeting_type: dict | None = None,
                   **user_fields) -> Provisioned:
    """A new user ready to be booked, as meetergo's ``POST /v4/user`` makes one: the
    user (``user_create``, with ``new_employee``), their default schedule
    (``availability``: ``schedule_create``'s keywords; Monday to Friday 09:00-17:00 in
    the user's zone when not given) and a meeting type they host (``meeting_type``:
    ``meeting_type_create``'s keywords; "30min Meeting", 30 minutes when not given).
    All or nothing: any refusal undoes the user too."""
    membership = user_create(company=company, actor=actor, **user_fields)
    user = membership.user
    schedule = schedule_services.schedule_create(
        company=company, user=user, is_default=True,
        **{"weekly": schedule_services.DEFAULT_WEEKLY, **(availability or {})})
    wanted = dict(meeting_type or {})
    minutes = wanted.get("default_duration") or (wanted.get("durations") or [None])[0]
    if "title" not in wanted and isinstance(minutes, int):
        wanted["title"] = f"{minutes}min Meeting"
    created = meeting_type_services.meeting_type_create(
        company=company, actor=as_access(actor), host_ids=[str(user.uuid)],
        **{"title": PROVISIONED_TITLE, **wanted})
    return Provisioned(membership=membership, schedule=schedule, meeting_type=created)


_USER_FIELDS = ("email", "given_name", "family_name", "timezone", "slug")
# What is the person's own rather than one company's: where they work for several
# companies, only they change it (their own token, key or session).
PERSON_FIELDS = frozenset({*_USER_FIELDS, "password"})


def check_may_change_profile(*, membership: Membership, actor: Access, fields) -> None:
    """The person themselves, or someone whose rights reach the person's role
    (admins change members and admins, owners everyone); a person who belongs to
    another company too is changed only by themselves."""
    user = membership.user
    if actor.operator:
        return  # the installation's operators look after every person
    by_themselves = actor.is_self and actor.user_id == user.pk
    if not by_themselves:
        if not actor.has_role(membership.role):
            raise Forbidden(f"Changing this user's profile requires the {membership.role} role")
        if actor.user_id != user.pk and not actor.has_role(Role.ADMIN):
            raise Forbidden("You can only change your own profile")
    if set(fields) & PERSON_FIELDS and not by_themselves and _in_other_companies(membership):
        raise Forbidden("This user also belongs to another company: only they can change their "
                        "email, password, names, time zone or slug")


def _in_other_companies(membership: Membership) -> bool:
    return Membership.objects.filter(user_id=membership.user_id).exclude(
        company_id=membership.company_id).exists()


@transaction.atomic
def user_update(*, membership: Membership, actor: Access | Membership, **changes) -> Membership:
    """Change a user's profile or role (see ``check_may_change_profile``)."""
    actor = as_access(actor)
    user = membership.user
    check_may_change_profile(membership=membership, actor=actor,
                             fields=[name for name in changes if name != "role"])
    if "timezone" in changes:
        changes["timezone"] = check_timezone(changes["timezone"])
    if "slug" in changes:
        changes["slug"] = check_slug_free(User, changes["slug"], exclude_pk=user.pk)
    if "email" in changes:
        changes["email"] = changes["email"].lower()
        if User.objects.filter(email__iexact=changes["email"]).exclude(pk=user.pk).exists():
            raise Conflict("A user with this email already exists", field="email")
    fields = [name for name in _USER_FIELDS if name in changes]
    for name in fields:
        setattr(user, name, changes[name])
    if fields:
        user.save(update_fields=fields)
    if "role" in changes and changes["role"] != membership.role:
        _membership_set_role(membership=membership, actor=actor, role=changes["role"])
    return membership


def _membership_set_role(*, membership: Membership, actor: Access, role: str) -> None:
    check_may_assign_role(actor, role)
    if membership.role == Role.OWNER:
        if not actor.has_role(Role.OWNER):
            raise Forbidden("Only owners can change an owner's role")
        _check_keeps_an_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])


def _check_keeps_an_owner(membership: Membership) -> None:
    others = Membership.objects.select_for_update().filter(
        company_id=membership.company_id, role=Role.OWNER
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise DomainError("A company must keep at least one owner")


@transaction.atomic
def user_remove(*, membership: Membership, actor: Access | Membership,
                reassign_to: str | None = None, cancel_appointments: bool = False) -> None:
    """Remove a user from the company; a user left in no company is deleted.

    A user who hosts pending or upcoming appointments of the company is removed
    only when the caller says what happens to them: ``reassign_to`` (the uuid of
    another user of the company, who must be free at each of those times) or
    ``cancel_appointments`` (cancelled with the usual emails and webhooks); else a
    409 naming how many. Their credentials for the company stop with the membership.
    """
    actor = as_access(actor)
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only owners and admins can delete users")
    if membership.role == Role.OWNER:
        if not actor.has_role(Role.OWNER):
            raise Forbidden("Only owners can delete an owner")
        _check_keeps_an_owner(membership)
    membership_remove(membership=membership, reassign_to=reassign_to,
                      cancel_appointments=cancel_appointments)


def membership_remove(*, membership: Membership, reassign_to: str | None = None,
                      cancel_appointments: bool = False) -> None:
    """``user_remove`` once the actor may: settle the hosted appointments, end the
    membership and what hung on it. Call inside a transaction."""
    if membership.role == Role.OWNER:
        _check_keeps_an_owner(membership)
    _settle_hosted_appointments(membership, reassign_to=reassign_to,
                                cancel_appointments=cancel_appointments)
    user, company = membership.user, membership.company
    membership.delete()
    if not user.memberships.exists():
        user.delete()
        return
    _release_company_ties(user=user, company=company)


def _settle_hosted_appointments(membership: Membership, *, reassign_to: str | None,
                                cancel_appointments: bool) -> None:
    if reassign_to and cancel_appointments:
        raise DomainError("Send either reassignTo or cancelAppointments, not both",
                          field="reassignTo")
    hosted = appointment_services.hosted_upcoming(company=membership.company,
                                                  user=membership.user)
    if not hosted:
        return
    if cancel_appointments:
        for appointment in hosted:
            appointment_services.appointment_cancel(
                appointment=appointment, reason="The host is no longer available")
    elif reassign_to:
        successor = company_membership(company=membership.company, user_uuid=reassign_to)
        if successor.pk == membership.pk:
            raise DomainError("reassignTo must name another user", field="reassignTo")
        appointment_services.appointments_reassign(
            appointments=hosted, from_user=membership.user, to_user=successor.user)
    else:
        raise Conflict(
            f"This user hosts {len(hosted)} pending or upcoming appointment(s) in this company: "
            "send reassignTo (another user of the company) or cancelAppointments: true")


def _release_company_ties(*, user: User, company: Company) -> None:
    """What a user kept in a company they left (and only there) goes with them."""
    ApiKey.objects.filter(company=company, created_by=user).delete()
    CalendarConnection.objects.filter(company=company, user=user).delete()
    AvailabilitySchedule.objects.filter(company=company, user=user).delete()
    QueueMember.objects.filter(queue__company=company, user=user).delete()
    for meeting_type in MeetingType.objects.filter(company=company, hosts=user):
        meeting_type.hosts.remove(user)
    MeetingType.objects.filter(company=company, owner=user).update(owner=None)
