"""Event type names, as the meetergo documents spell them."""

BOOKING_CREATED = "booking_created"
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_CANCELLED = "booking_cancelled"
NEW_EMPLOYEE = "new_employee"
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CONTACT_DELETED = "contact.deleted"

ALL = (
    BOOKING_CREATED,
    BOOKING_RESCHEDULED,
    BOOKING_CANCELLED,
    NEW_EMPLOYEE,
    CONTACT_CREATED,
    CONTACT_UPDATED,
    CONTACT_DELETED,
)
