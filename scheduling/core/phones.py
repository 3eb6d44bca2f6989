"""Phone numbers (SPEC section 7, "Phone numbers"): one rule for bookings and contacts."""

import phonenumbers

from .errors import DomainError

MAX_PHONE = 32


def normalize_phone(value: str | None, *, field: str) -> str:
    """E.164 where ``phonenumbers`` can parse a possible number, else as given.

    The meetergo examples send ``+1234567890``, which is no real number and must
    still be accepted. A value without digits, or over 32 characters, is refused
    with a DomainError on ``field``; a blank value is "".
    """
    phone = (value or "").strip()
    if not phone:
        return ""
    if len(phone) > MAX_PHONE:
        raise DomainError(f"A phone number has at most {MAX_PHONE} characters", field=field)
    if not any(ch.isdigit() for ch in phone):
        raise DomainError("A phone number must contain digits", field=field)
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(parsed):
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
