from django.core.management.base import BaseCommand, CommandError

from scheduling.core.errors import DomainError
from scheduling.services.tenancy import company_create


class Command(BaseCommand):
    help = "Create a company with its owner and print their ids."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-given-name", default="")
        parser.add_argument("--owner-family-name", default="")
        parser.add_argument("--slug")
        parser.add_argument("--timezone", default="UTC")

    def handle(self, *args, **options):
        try:
            company, owner = company_create(
                name=options["name"],
                slug=options["slug"],
                timezone=options["timezone"],
                owner_email=options["owner_email"],
                owner_given_name=options["owner_given_name"],
                owner_family_name=options["owner_family_name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"company {company.slug} {company.uuid}")
        self.stdout.write(f"owner {owner.email} {owner.uuid}")
