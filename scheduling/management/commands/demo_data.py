from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from scheduling.models import AvailabilitySchedule, Company, MeetingType, Membership, User
from scheduling.services.api_keys import api_key_create
from scheduling.services.meeting_types import meeting_type_create
from scheduling.services.schedules import schedule_create
from scheduling.services.tenancy import company_create

DEMO_EMAIL = "demo@termin.local"
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = ("Create the demo company, its owner, a weekday schedule and an intro call "
            "(once) and print a fresh API key.")

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
        meeting_type = self._meeting_type(company, owner)
        _, token = api_key_create(company=company, created_by=owner, name="quick start", days=90)
        today = timezone.localdate()
        self.stdout.write(
            f"\nTermin is running at {settings.SITE_URL}\n"
            f"  admin:   {settings.SITE_URL}/admin/  ({DEMO_EMAIL} / {DEMO_PASSWORD})\n"
            f"  API doc: {settings.SITE_URL}/spec/v2\n"
            f"  booking: {settings.SITE_URL}/{owner.slug}\n"
            f"  API key: {token}\n"
            f"  try:     curl -H 'Authorization: Bearer {token}' {settings.SITE_URL}/v4/user/me\n"
            f"  slots:   curl -H 'Authorization: Bearer {token}' "
            f"'{settings.SITE_URL}/v4/booking-availability?meetingTypeId={meeting_type.uuid}"
            f"&start={today}&end={today + timedelta(days=7)}'\n"
        )

    def _meeting_type(self, company: Company, owner: User) -> MeetingType:
        """A weekday schedule and a one-on-one "Intro call" for the owner (once)."""
        if not AvailabilitySchedule.objects.filter(company=company, user=owner).exists():
            schedule_create(
                company=company, user=owner, name="Weekdays", timezone_name="Europe/Berlin",
                weekly={day: [{"start": "09:00", "end": "17:00"}]
                        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            )
        found = MeetingType.objects.filter(company=company, slug="intro-call").first()
        if found is not None:
            return found
        return meeting_type_create(
            company=company, actor=Membership.objects.get(company=company, user=owner),
            title="Intro call", slug="intro-call", durations=[15, 30, 60], default_duration=30,
            description="A first conversation.", minimum_notice=60,
        )
