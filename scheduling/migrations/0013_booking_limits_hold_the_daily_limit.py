"""A meeting type's limits are one list of {scope, period, max, unit}; the daily
limit becomes its {meetingType, day, max, bookings} limit."""

from django.db import migrations, models

DAILY = {"scope": "meetingType", "period": "day", "unit": "bookings"}


def daily_into_limits(apps, schema_editor):
    MeetingType = apps.get_model("scheduling", "MeetingType")
    for meeting_type in MeetingType.objects.exclude(daily_limit=None).only("daily_limit"):
        meeting_type.booking_limits = [{**DAILY, "max": meeting_type.daily_limit}]
        meeting_type.save(update_fields=["booking_limits"])


def limits_into_daily(apps, schema_editor):
    MeetingType = apps.get_model("scheduling", "MeetingType")
    for meeting_type in MeetingType.objects.exclude(booking_limits=[]):
        daily = [limit["max"] for limit in meeting_type.booking_limits
                 if {key: limit.get(key) for key in DAILY} == DAILY]
        meeting_type.daily_limit = daily[0] if daily else None
        meeting_type.save(update_fields=["daily_limit"])


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0012_reserved_slugs_refused_by_the_models"),
    ]

    operations = [
        migrations.AddField(
            model_name="meetingtype",
            name="booking_limits",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(daily_into_limits, limits_into_daily),
        migrations.RemoveField(model_name="meetingtype", name="daily_limit"),
    ]
