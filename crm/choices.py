from django.db import models


class EventType(models.TextChoices):
    """What a contact's timeline records."""

    BOOKING = "booking", "Booking"
    BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
    BOOKING_RESCHEDULED = "booking_rescheduled", "Booking rescheduled"
    NO_SHOW = "no_show", "No-show"
    ROOM_JOIN = "room_join", "Joined a room"
    OPTIN = "optin", "Completed double opt-in"


class AuditVia(models.TextChoices):
    API_KEY = "api_key", "API key"
    SESSION = "session", "Session"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"


# Tags Termin applies by itself (never removed by Termin, never replacing a person's tags).
TAG_RECURRING = "Recurring"
TAG_OPTIN = "Optin"
RECURRING_AT_BOOKINGS = 2
