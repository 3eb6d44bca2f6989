from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


# Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class QueueKind(models.TextChoices):
    """How a queue's members share a meeting type's bookings."""

    ROUND_ROBIN = "round_robin", "Round robin (any free member)"
    CO_HOST = "co_host", "Co-host (all members together)"


class Channel(models.TextChoices):
    """Where a meeting takes place; the values are the booking document's."""

    GOOGLE = "google", "Google Meet"
    ZOOM = "zoom", "Zoom"
    TEAMS = "teamsForBusiness2", "Microsoft Teams"
    PHONE = "phone", "Phone (host calls)"
    PHONE_INCOMING = "phone-incoming", "Phone (attendee calls)"
    LOCAL = "local", "In person, at the host's location"
    LOCAL_ATTENDEE = "local-attendee", "In person, at the attendee's address"
    CONNECT = "connect", "Built-in video room"
    WEBEX = "webex", "Webex"
    WHATSAPP = "whatsapp", "WhatsApp"


# Video channels whose meeting link is configured on the meeting type's location
# (``connect`` makes a room of its own per booking instead).
LINK_CHANNELS = frozenset({Channel.GOOGLE, Channel.ZOOM, Channel.TEAMS, Channel.WEBEX})


class FormFieldType(models.TextChoices):
    TEXT = "text", "Short text"
    TEXTAREA = "textarea", "Long text"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    NUMBER = "number", "Number"
    SELECT = "select", "Choice (one)"
    MULTISELECT = "multiselect", "Choice (several)"
    RADIO = "radio", "Radio buttons"
    CHECKBOX = "checkbox", "Checkbox"
    DATE = "date", "Date"


# Field types whose answers come from ``options``.
OPTION_FIELD_TYPES = frozenset({FormFieldType.SELECT, FormFieldType.MULTISELECT,
                                FormFieldType.RADIO})


class BusySource(models.TextChoices):
    MANUAL = "manual", "Blocked by hand"
    CALENDAR = "calendar", "External calendar"
