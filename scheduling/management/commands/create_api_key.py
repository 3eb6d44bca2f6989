import uuid

from django.core.management.base import BaseCommand, CommandError

from scheduling.errors import DomainError
from scheduling.models import Company, Membership
from scheduling.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a company and print it (it is not shown again)."

    def add_arguments(self, parser):
        parser.add_argument("company", help="company slug or uuid")
        parser.add_argument(
            "--user", help="email of the member the key acts as (default: an owner)"
        )
        parser.add_argument("--days", type=int, default=90, help="expiry, 1-90 days")
        parser.add_argument("--name", default="")

    def handle(self, *args, **options):
        company = self._company(options["company"])
        memberships = Membership.objects.filter(company=company).select_related("user")
        if options["user"]:
            membership = memberships.filter(user__email__iexact=options["user"]).first()
        else:
            membership = memberships.filter(role="owner").order_by("created_at").first()
        if membership is None:
            raise CommandError("No such member in that company")
        try:
            _, token = api_key_create(
                company=company, created_by=membership.user, name=options["name"],
                days=options["days"],
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
