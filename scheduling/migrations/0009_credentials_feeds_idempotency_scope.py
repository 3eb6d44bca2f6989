"""Two kinds of credentials, appointments feeds per user and company, and
idempotency records that belong to one credential."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def feeds_to_first_company(apps, schema_editor):
    """An existing feed stays with the company its user joined first, so its address
    keeps working there; the user's other companies make their own on first use."""
    CalendarFeed = apps.get_model("scheduling", "CalendarFeed")
    Membership = apps.get_model("scheduling", "Membership")
    for feed in CalendarFeed.objects.all():
        first = (Membership.objects.filter(user_id=feed.user_id)
                 .order_by("created_at", "pk").values_list("company_id", flat=True).first())
        if first is None:
            feed.delete()
        else:
            CalendarFeed.objects.filter(pk=feed.pk).update(company_id=first)


def busy_time_to_connection_company(apps, schema_editor):
    BusyTime = apps.get_model("scheduling", "BusyTime")
    CalendarConnection = apps.get_model("scheduling", "CalendarConnection")
    for connection in CalendarConnection.objects.all():
        BusyTime.objects.filter(connection_id=connection.pk).update(company_id=connection.company_id)


def drop_idempotency_records(apps, schema_editor):
    # They belonged to a whole company and held answers in clear; they last 24 hours
    # anyway, so none is carried over into the per-credential, encrypted form.
    apps.get_model("scheduling", "IdempotencyRecord").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0008_calendar_connections"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="kind",
            field=models.CharField(
                choices=[("platform", "Platform API key (ak_live:...)"),
                         ("personal", "Personal access token (rgo-...)")],
                default="platform", max_length=10),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="secret_digest",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(drop_idempotency_records, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="idempotencyrecord",
            name="idempotency_unique_key",
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="scope",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(fields=("scope", "key"),
                                               name="idempotency_unique_scope_key"),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="company",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="scheduling.company"),
        ),
        migrations.AlterField(
            model_name="calendarfeed",
            name="user",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                    related_name="calendar_feeds", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(feeds_to_first_company, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="calendarfeed",
            name="company",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="scheduling.company"),
        ),
        migrations.AddField(
            model_name="busytime",
            name="company",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="scheduling.company"),
        ),
        migrations.RunPython(busy_time_to_connection_company, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(fields=("user", "company"),
                                               name="calendar_feed_unique_user"),
        ),
    ]
