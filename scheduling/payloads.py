"""Plain-dict shapes shared by the API and the webhook outbox, so an event
carries a resource exactly as its endpoint shows it."""

from django.conf import settings

from .models import AvailabilitySchedule, MeetingType, Membership, User
from .timeutils import iso


def booking_url(user: User) -> str:
    return f"{settings.SITE_URL}/{user.slug}"


def meeting_type_url(meeting_type: MeetingType) -> str | None:
    """The meeting type's booking page, ``<SITE_URL>/<owner slug>/<meeting type slug>``."""
    if meeting_type.owner_id is None:
        return None
    return f"{settings.SITE_URL}/{meeting_type.owner.slug}/{meeting_type.slug}"


def user_payload(user: User, role: str | None) -> dict:
    return {
        "userId": str(user.uuid),
        "id": str(user.uuid),
        "email": user.email,
        "firstname": user.given_name,
        "lastname": user.family_name,
        "givenName": user.given_name,
        "familyName": user.family_name,
        "timezone": user.timezone,
        "slug": user.slug,
        "bookingUrl": booking_url(user),
        "role": role,
        "createdAt": iso(user.date_joined),
    }


def provisioned_user_payload(membership: Membership, schedule: AvailabilitySchedule,
                             meeting_type: MeetingType) -> dict:
    """The answer to ``POST /v4/user``: meetergo's ``{userId, availabilityId,
    meetingTypeId, bookingUrl, companyId}`` beside the user's own fields, where
    ``bookingUrl`` is the provisioned meeting type's page (meetergo's meaning) rather
    than the user's."""
    return {
        **user_payload(membership.user, membership.role),
        "availabilityId": str(schedule.uuid),
        "meetingTypeId": str(meeting_type.uuid),
        "bookingUrl": meeting_type_url(meeting_type),
        "companyId": str(membership.company.uuid),
    }
