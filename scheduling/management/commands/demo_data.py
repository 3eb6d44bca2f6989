from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from scheduling.choices import Role
from scheduling.core.access import as_access
from scheduling.models import AvailabilitySchedule, Company, MeetingType, Membership, User
from scheduling.services.api_keys import api_key_create
from scheduling.services.meeting_types import meeting_type_create, meeting_type_update
from scheduling.services.schedules import schedule_create
from scheduling.services.tenancy import _user_insert, company_create

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@termin.local"
DEMO_PASSWORD = "demo"
DEMO_NAMES = {"given_name": "Ada", "family_name": "Lovelace"}
ZONE = "Europe/Berlin"


class Command(BaseCommand):
    help = ("Create the demo company, its owner, a weekday schedule and an intro call, "
            "or find them again (recreating what was removed), and print a fresh API key.")

    @transaction.atomic
    def handle(self, *args, **options):
        company = Company.objects.filter(slug=DEMO_SLUG).first()
        verb = "recreated" if company else "created"
        if company is None:
            company, owner = self._company()
            said = [f"created the demo company and its owner {owner.email}"]
        else:
            owner, note = self._owner(company)
            said = [note]
        if self._schedule(company, owner):
            said.append(f"{verb} the owner's Weekdays schedule")
        meeting_type, note = self._meeting_type(company, owner, verb)
        said += [note] if note else []
        _, token = api_key_create(company=company, created_by=owner, name="quick start", days=90)
        self.stdout.write("Demo data: " + "; ".join(said) + ".")
        self._banner(owner, meeting_type, token)

    def _company(self) -> tuple[Company, User]:
        company, owner = company_create(
            name="Demo Company", slug=DEMO_SLUG, timezone=ZONE, owner_email=DEMO_EMAIL,
            owner_given_name=DEMO_NAMES["given_name"],
            owner_family_name=DEMO_NAMES["family_name"],
        )
        _make_demo_owner(owner)
        return company, owner

    def _owner(self, company: Company) -> tuple[User, str]:
        """The demo owner (the owner this command made a superuser), whatever their
        email or name became; else a new one, or the owner the company has left."""
        owners = Membership.objects.filter(
            company=company, role=Role.OWNER, user__is_active=True,
        ).select_related("user").order_by("created_at", "pk")
        demo = owners.filter(user__is_superuser=True).first()
        if demo is not None:
            email = demo.user.email
            if email == DEMO_EMAIL:
                return demo.user, f"found the demo company and its owner {email}"
            return demo.user, f"found the demo company and its owner, whose email is now {email}"
        if not User.objects.filter(email__iexact=DEMO_EMAIL).exists():
            # No owner is left to act for the company, so no service's permission
            # check could pass: the owner is made as company_create makes one.
            user = _user_insert(email=DEMO_EMAIL, timezone=company.timezone, slug=None,
                                **DEMO_NAMES)
            Membership.objects.create(company=company, user=user, role=Role.OWNER)
            _make_demo_owner(user)
            return user, f"the demo owner was gone: recreated {DEMO_EMAIL}"
        other = owners.filter(user__email__iexact=DEMO_EMAIL).first() or owners.first()
        if other is not None:
            return other.user, f"the demo owner was gone: using the owner {other.user.email}"
        # The company has no active owner and someone holds the demo email: the
        # quick start needs an owner, so that person becomes the owner again.
        user = User.objects.get(email__iexact=DEMO_EMAIL)
        Membership.objects.update_or_create(company=company, user=user,
                                            defaults={"role": Role.OWNER})
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        return user, f"the company had no owner left: made {user.email} its owner again"

    def _schedule(self, company: Company, owner: User) -> bool:
        """A weekday schedule for the owner, if they have none; whether one was made."""
        if AvailabilitySchedule.objects.filter(company=company, user=owner).exists():
            return False
        schedule_create(
            company=company, user=owner, name="Weekdays", timezone_name=ZONE,
            weekly={day: [{"start": "09:00", "end": "17:00"}]
                    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        )
        return True

    def _meeting_type(self, company: Company, owner: User,
                      verb: str) -> tuple[MeetingType, str | None]:
        """The one-on-one "Intro call", made for the owner if it is missing, and
        hosted by the owner again if it lost every host."""
        actor = as_access(Membership.objects.get(company=company, user=owner))
        found = MeetingType.objects.filter(company=company, slug="intro-call").first()
        if found is None:
            made = meeting_type_create(
                company=company, actor=actor, title="Intro call", slug="intro-call",
                durations=[15, 30, 60], default_duration=30,
                description="A first conversation.", minimum_notice=60,
            )
            return made, f"{verb} the Intro call"
        if found.queue_id is None and not found.hosts.exists():
            meeting_type_update(meeting_type=found, actor=actor, host_ids=[str(owner.uuid)])
            return found, f"the Intro call had no host: {owner.email} hosts it again"
        return found, None

    def _banner(self, owner: User, meeting_type: MeetingType, token: str) -> None:
        site = settings.SITE_URL
        password = DEMO_PASSWORD if owner.check_password(DEMO_PASSWORD) else "your password"
        today = timezone.localdate()
        self.stdout.write(
            f"\nTermin is running at {site}\n"
            f"  admin:   {site}/admin/  ({owner.email} / {password})\n"
            f"  API doc: {site}/spec/v2\n"
            f"  booking: {site}/{owner.slug}\n"
            f"  API key: {token}\n"
            f"  try:     curl -H 'Authorization: Bearer {token}' {site}/v4/user/me\n"
            f"  slots:   curl -H 'Authorization: Bearer {token}' "
            f"'{site}/v4/booking-availability?meetingTypeId={meeting_type.uuid}"
            f"&start={today}&end={today + timedelta(days=7)}'\n"
        )


def _make_demo_owner(user: User) -> None:
    """The demo owner may log in to the admin, with the demo password unless the
    person already had one; the superuser flag also lets a later run find them."""
    user.is_staff = user.is_superuser = True
    fields = ["is_staff", "is_superuser"]
    if not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        fields.append("password")
    user.save(update_fields=fields)
