"""Plain-dict shapes shared by the API and the webhook outbox, so an event
carries a resource exactly as its endpoint shows it."""

from django.conf import settings

from .models import User
from .timeutils import iso


def booking_url(user: User) -> str:
    return f"{settings.SITE_URL}/{user.slug}"


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
