"""``check_*`` functions: the rules a contact's fields obey, for every entry point."""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from scheduling.core.errors import DomainError
from scheduling.core.phones import normalize_phone
from scheduling.core.text import single_line
from scheduling.models import Company, Membership, User

from ..models import CrmCompany

MAX_NAME, MAX_EMAIL, MAX_NOTES = 150, 254, 10_000
MAX_TAG, MAX_TAGS = 50, 50
EMAIL_OR_PHONE_REQUIRED = "Either email or phoneNumber must be provided"

# Service field -> the name clients use (API bodies, CSV headers, error reports).
PUBLIC_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "phone_number": "phoneNumber",
    "tags": "tags",
    "notes": "notes",
    "crm_company": "crmCompanyId",
    "account_owner": "accountOwnerId",
    "additional_data": "additionalData",
}
FROM_PUBLIC = {public: name for name, public in PUBLIC_NAMES.items()}


class InvalidContact(DomainError):
    """One or more fields are at fault; ``errors`` lists them all."""

    def __init__(self, errors: list[dict]):
        first = errors[0]
        message = first["message"] if len(errors) == 1 else "Validation failed"
        super().__init__(message, field=first["field"], status=400)
        self.errors = errors


def from_public_names(row: dict) -> dict:
    """A client's row (camelCase, or the service's own names) in service names."""
    return {FROM_PUBLIC.get(key, key): value for key, value in row.items()
            if key in FROM_PUBLIC or key in PUBLIC_NAMES}


def _text(value, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("Must be a string", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise DomainError(f"Must be at most {max_length} characters", field=field)
    return value


def _line(value, field: str, max_length: int) -> str:
    """Text that stays on one line (a name, a tag): control characters folded."""
    return _text(single_line(value) if isinstance(value, str) else value, field, max_length)


def check_email(value) -> str:
    """Lower-cased and validated; "" when absent."""
    email = _text(value, "email", MAX_EMAIL).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError("Enter a valid email address", field="email") from None
    return email


def check_phone(value) -> str:
    """The contact's phone number, normalised as every phone number is."""
    if value is not None and not isinstance(value, str):
        raise DomainError("Must be a string", field="phone_number")
    return normalize_phone(value, field="phone_number")


def check_tags(value) -> list[str]:
    """A list (or a comma-separated string) of tags, trimmed and de-duplicated."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DomainError("Must be a list of strings", field="tags")
    tags: list[str] = []
    for tag in (single_line(v) for v in value):
        if len(tag) > MAX_TAG:
            raise DomainError(f"A tag must be at most {MAX_TAG} characters", field="tags")
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DomainError(f"At most {MAX_TAGS} tags", field="tags")
    return tags


def check_additional_data(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError("Must be an object", field="additional_data")
    return value


def _uuid(value, field: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("Must be a valid UUID", field=field) from None


def check_crm_company(company: Company, value) -> CrmCompany | None:
    if isinstance(value, CrmCompany):
        return value
    key = _uuid(value, "crm_company")
    if key is None:
        return None
    found = CrmCompany.objects.filter(company=company, uuid=key).first()
    if found is None:
        raise DomainError("CRM company not found", field="crm_company")
    return found


def check_account_owner(company: Company, value) -> User | None:
    if isinstance(value, User):
        value = value.uuid
    key = _uuid(value, "account_owner")
    if key is None:
        return None
    membership = (
        Membership.objects.select_related("user").filter(company=company, user__uuid=key).first()
    )
    if membership is None:
        raise DomainError("Account owner not found in this company", field="account_owner")
    return membership.user


def _checks(company: Company) -> dict:
    return {
        "first_name": lambda v: _line(v, "first_name", MAX_NAME),
        "last_name": lambda v: _line(v, "last_name", MAX_NAME),
        "email": check_email,
        "phone_number": check_phone,
        "tags": check_tags,
        "notes": lambda v: _text(v, "notes", MAX_NOTES),
        "crm_company": lambda v: check_crm_company(company, v),
        "account_owner": lambda v: check_account_owner(company, v),
        "additional_data": check_additional_data,
    }


def contact_fields_clean(*, company: Company, data: dict, partial: bool) -> dict:
    """The fields of ``data`` (service names) checked and normalised.

    Only the fields present come back. Unless ``partial``, an email or a phone
    number is required. Raises ``InvalidContact`` naming every field at fault,
    by the names clients use.
    """
    clean, errors = {}, []
    for field, check in _checks(company).items():
        if field not in data:
            continue
        try:
            clean[field] = check(data[field])
        except DomainError as exc:
            errors.append({"field": PUBLIC_NAMES.get(exc.field, exc.field), "message": exc.message})
    if not partial and not errors and not (clean.get("email") or clean.get("phone_number")):
        errors.append({"field": "email", "message": EMAIL_OR_PHONE_REQUIRED})
    if errors:
        raise InvalidContact(errors)
    return clean
