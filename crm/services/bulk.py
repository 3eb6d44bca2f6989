"""Bulk upsert: ``POST /v4/crm/bulk`` and the admin's CSV import."""

from dataclasses import dataclass, field

from django.db import transaction

from scheduling.core.errors import DomainError
from scheduling.models import Company

from ..models import Contact
from ..selectors import contact_find_by_email, contact_find_by_phone
from .audit import Actor, audit_record
from .contacts import _contact_apply, _contact_insert
from .validation import InvalidContact, contact_fields_clean, from_public_names

MAX_ROWS = 1000


@dataclass
class RowResult:
    index: int
    status: str  # "created", "updated", "unchanged" or "error"
    contact: Contact | None = None
    errors: list[dict] = field(default_factory=list)


def contacts_bulk_upsert(
    *, company: Company, rows: list[dict], actor: Actor | None = None, dry_run: bool = False
) -> list[RowResult]:
    """Create or update a contact per row (matched by email, else by phone).

    Rows use the names clients use (``firstName``, ``phoneNumber``, ...). Each
    row succeeds or fails alone: a bad row is reported with its field errors
    and the others are kept. With ``dry_run`` everything runs and is then rolled
    back, so the report is exactly what an import would do.
    """
    if len(rows) > MAX_ROWS:
        raise DomainError(f"At most {MAX_ROWS} contacts per call", field="contacts")
    with transaction.atomic():
        results = [_upsert_row(company, index, row) for index, row in enumerate(rows)]
        if actor is not None:
            audit_record(company=company, actor=actor, action="contact.bulk_upsert",
                         target_type="company", target_id=company.uuid,
                         snapshot={"rows": len(rows), "summary": summary(results)})
        if dry_run:
            transaction.set_rollback(True)
    return results


def _upsert_row(company: Company, index: int, row) -> RowResult:
    if not isinstance(row, dict):
        return RowResult(index, "error", errors=[{"field": None, "message": "Must be an object"}])
    try:
        with transaction.atomic():
            clean = contact_fields_clean(company=company, data=from_public_names(row),
                                         partial=False)
            existing = contact_find_by_email(
                company=company, email=clean.get("email", ""), for_update=True
            ) or (not clean.get("email") and contact_find_by_phone(
                company=company, phone=clean.get("phone_number", ""), for_update=True))
            if existing:
                changed = _contact_apply(contact=existing, clean=clean)
                return RowResult(index, "updated" if changed else "unchanged", existing)
            return RowResult(index, "created", _contact_insert(company=company, clean=clean))
    except InvalidContact as exc:
        return RowResult(index, "error", errors=exc.errors)
    except DomainError as exc:
        return RowResult(index, "error", errors=[{"field": exc.field, "message": exc.message}])


def summary(results: list[RowResult]) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for result in results:
        counts[result.status] += 1
    return counts
