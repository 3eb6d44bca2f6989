"""Audit entries keep who and whose as text, and outlive their company and users.

The company link becomes nullable and is cleared (not cascaded) when the company
is deleted. Existing entries get their text filled from the current links.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Trim


def _user_text(User, link: str, field: str):
    users = User.objects.filter(pk=OuterRef(link))
    if field == "name":
        users = users.annotate(text=Trim(Concat(
            "given_name", Value(" "), "family_name", output_field=CharField())))
    else:
        users = users.annotate(text=models.F("email"))
    return Subquery(users.values("text")[:1])


def fill_text(apps, schema_editor):
    Entry = apps.get_model("crm", "AuditLogEntry")
    User = apps.get_model("scheduling", "User")
    Company = apps.get_model("scheduling", "Company")
    companies = Company.objects.filter(pk=OuterRef("company_id"))
    Entry.objects.filter(company__isnull=False).update(
        company_name=Subquery(companies.values("name")[:1]),
        company_uuid=Subquery(companies.values("uuid")[:1]),
    )
    for link in ("actor", "acting_for"):
        Entry.objects.filter(**{f"{link}__isnull": False}).update(**{
            f"{link}_email": _user_text(User, f"{link}_id", "email"),
            f"{link}_name": _user_text(User, f"{link}_id", "name"),
        })


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0002_contact_search_trigram"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditlogentry",
            options={
                "base_manager_name": "objects",
                "ordering": ["-created_at", "-id"],
                "verbose_name": "audit log entry",
                "verbose_name_plural": "audit log",
            },
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="acting_for_email",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="acting_for_name",
            field=models.CharField(blank=True, max_length=301),
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="actor_email",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="actor_name",
            field=models.CharField(blank=True, max_length=301),
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="company_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="auditlogentry",
            name="company_uuid",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditlogentry",
            name="company",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="scheduling.company",
            ),
        ),
        migrations.RunPython(fill_text, migrations.RunPython.noop),
    ]
