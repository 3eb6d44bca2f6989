"""One-time booking links: a link to a meeting type's page that books it once.

Whoever may share a meeting type (``core.access.may_share_meeting_type``) makes
them, through the API (``POST /v4/one-time-booking-link/create/:meetingTypeId``)
or the admin. The booking through one (``bookings.booking_create`` with
``one_time_link``) claims it in the booking's transaction with an UPDATE that
matches only an unused, unexpired link, so of two bookings racing through it
exactly one commits.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..core.access import Access, as_access, may_share_meeting_type
from ..core.errors import Conflict, DomainError, Forbidden
from ..models import MeetingType, Membership, OneTimeBookingLink

USED = "used"
EXPIRED = "expired"
ACTIVE = "active"
LINK_USED = "This one-time booking link has already been used"
LINK_EXPIRED = "This one-time booking link has expired"
# meetergo: an unused one-time link expires after 30 days.
DEFAULT_LIFETIME = dt.timedelta(days=30)
LONGEST_LIFETIME = dt.timedelta(days=366)


class LinkSpent(Conflict):
    """The link was used or has expired; ``state`` says which."""

    def __init__(self, state: str):
        super().__init__(LINK_USED if state == USED else LINK_EXPIRED, field="oneTimeLink")
        self.state = state


def one_time_link_create(*, meeting_type: MeetingType, actor: Access | Membership,
                         expires_at: dt.datetime | None = None, never_expires: bool = False,
                         now: dt.datetime | None = None) -> OneTimeBookingLink:
    """A new link to ``meeting_type``. It expires at ``expires_at`` (in the future,
    within a year), by default 30 days from now, or never with ``never_expires``.
    Forbidden unless ``actor`` may share the meeting type."""
    now = now or timezone.now()
    actor = as_access(actor)
    if not may_share_meeting_type(actor, meeting_type):
        raise Forbidden("Only owners and admins of the company, the meeting type's owner and "
                        "its hosts can make one-time booking links for it")
    if never_expires:
        expires_at = None
    elif expires_at is None:
        expires_at = now + DEFAULT_LIFETIME
    elif not now < expires_at <= now + LONGEST_LIFETIME:
        raise DomainError("expiresAt must be in the future and within a year",
                          field="expiresAt")
    return OneTimeBookingLink.objects.create(
        company_id=meeting_type.company_id, meeting_type=meeting_type,
        token=secrets.token_urlsafe(16), created_by=actor.maker if not actor.operator else None,
        created_at=now, expires_at=expires_at)


def link_state(link: OneTimeBookingLink, now: dt.datetime | None = None) -> str:
    """``used``, ``expired`` or ``active``."""
    now = now or timezone.now()
    if link.used_at is not None:
        return USED
    if link.expires_at is not None and link.expires_at <= now:
        return EXPIRED
    return ACTIVE


def one_time_link_claim(*, link: OneTimeBookingLink, now: dt.datetime) -> None:
    """Mark ``link`` used, or raise ``LinkSpent``. Call inside the booking's
    transaction: a concurrent claim waits for its row lock, then matches nothing."""
    claimed = OneTimeBookingLink.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        pk=link.pk, used_at__isnull=True,
    ).update(used_at=now)
    if not claimed:
        link.refresh_from_db(fields=["used_at", "expires_at"])
        raise LinkSpent(EXPIRED if link_state(link, now) == EXPIRED else USED)


def one_time_link_booked(*, link: OneTimeBookingLink, appointment) -> None:
    """Remember which appointment used the link (same transaction as the claim)."""
    OneTimeBookingLink.objects.filter(pk=link.pk).update(appointment=appointment)
    link.appointment = appointment


def one_time_link_url(link: OneTimeBookingLink) -> str:
    """The link as sent: ``<SITE_URL>/1t/<token>``."""
    return f"{settings.SITE_URL}/1t/{link.token}"
