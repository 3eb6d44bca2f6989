"""CRM companies: organisations contacts are linked to by email domain."""

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from scheduling.core.errors import Conflict, DomainError
from scheduling.models import Company

from ..models import Contact, CrmCompany
from .contacts import FREE_MAIL_DOMAINS


def crm_company_create(*, company: Company, name: str, domain: str = "") -> CrmCompany:
    """Create a CRM company and link the unlinked contacts at its domain."""
    name, domain = name.strip(), domain.strip().lower().lstrip("@")
    if not name:
        raise DomainError("A name is required", field="name")
    with transaction.atomic():
        try:
            with transaction.atomic():
                crm_company = CrmCompany.objects.create(company=company, name=name, domain=domain)
        except IntegrityError as exc:
            raise Conflict("A CRM company with this domain already exists", field="domain") from exc
        if domain and domain not in FREE_MAIL_DOMAINS:
            Contact.objects.annotate(email_lower=Lower("email")).filter(
                company=company, crm_company__isnull=True, email_lower__endswith=f"@{domain}",
            ).update(crm_company=crm_company)
    return crm_company
