import uuid

from django.core.management.base import BaseCommand, CommandError

from scheduling.choices import Role
from scheduling.core.errors import DomainError
from scheduling.models import ApiKeyKind, Company, Membership
from scheduling.services.api_keys import api_key_create


class Command(BaseCommand):
    help = ("Create a credential for a company and print it (it is not shown again): a "
            "platform API key (ak_live:...) for an owner or admin, a personal access token "
            "(rgo-...) for a member or with --personal.")

    def add_arguments(self, parser):
        parser.add_argument("company", help="company slug or uuid")
        parser.add_argument(
            "--user", help="email of the member the key acts as (default: an owner)"
        )
        parser.add_argument("--days", type=int, default=90, help="expiry, 1-90 days")
        parser.add_argument("--name", default="")
        parser.add_argument("--personal", action="store_true",
                            help="a personal access token, which acts only as its user")

    def handle(self, *args, **options):
        company = self._company(options["company"])
        memberships = Membership.objects.filter(company=company).select_related("user")
        if options["user"]:
            membership = memberships.filter(user__email__iexact=options["user"]).first()
        else:
            membership = memberships.filter(role="owner").order_by("created_at").first()
        if membership is None:
            raise CommandError("No such member in that company")
        personal = options["personal"] or not membership.has_role(Role.ADMIN)
        try:
            _, token = api_key_create(
                company=company, created_by=membership.user, name=options["name"],
                days=options["days"],
                kind=ApiKeyKind.PERSONAL if personal else ApiKeyKind.PLATFORM,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)

    def _company(self, ref: str) -> Company:
        company = Company.objects.filter(slug=ref).first()
        if company is None:
            try:
                company = Company.objects.filter(uuid=uuid.UUID(ref)).first()
            except ValueError:
                company = None
        if company is None:
            raise CommandError(f"No company {ref!r}")
        return company
