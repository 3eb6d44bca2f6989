from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from scheduling.models import Company, User
from scheduling.services.api_keys import api_key_create
from scheduling.services.tenancy import company_create

DEMO_EMAIL = "demo@termin.local"
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Create the demo company and its owner (once) and print a fresh API key."

    @transaction.atomic
    def handle(self, *args, **options):
        company = Company.objects.filter(slug="demo").first()
        if company is None:
            company, owner = company_create(
                name="Demo Company", slug="demo", timezone="Europe/Berlin",
                owner_email=DEMO_EMAIL, owner_given_name="Ada", owner_family_name="Lovelace",
            )
            # The demo owner may log in to the admin.
            owner.is_staff = owner.is_superuser = True
            owner.set_password(DEMO_PASSWORD)
            owner.save()
        owner = User.objects.get(email=DEMO_EMAIL)
        _, token = api_key_create(company=company, created_by=owner, name="quick start", days=90)
        self.stdout.write(
            f"\nTermin is running at {settings.SITE_URL}\n"
            f"  admin:   {settings.SITE_URL}/admin/  ({DEMO_EMAIL} / {DEMO_PASSWORD})\n"
            f"  API doc: {settings.SITE_URL}/spec/v2\n"
            f"  booking: {settings.SITE_URL}/{owner.slug}\n"
            f"  API key: {token}\n"
            f"  try:     curl -H 'Authorization: Bearer {token}' {settings.SITE_URL}/v4/user/me\n"
        )
