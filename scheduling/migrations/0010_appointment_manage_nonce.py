"""Appointments get a ``manage_nonce``, signed into the attendee's manage links and
replaced on every reschedule and cancellation (scheduling/links.py).

Adding the column gives every existing row the same value, so each is then given
one of its own. Manage links sent before this migration carry no nonce and stop
working; new ones go out with the next email about the appointment.
"""

from django.db import migrations, models

import scheduling.models


def give_each_its_own(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    batch = []
    for appointment in Appointment.objects.only("pk").iterator(chunk_size=2000):
        appointment.manage_nonce = scheduling.models.new_manage_nonce()
        batch.append(appointment)
        if len(batch) == 2000:
            Appointment.objects.bulk_update(batch, ["manage_nonce"])
            batch = []
    if batch:
        Appointment.objects.bulk_update(batch, ["manage_nonce"])


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0009_credentials_feeds_idempotency_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="manage_nonce",
            field=models.CharField(default=scheduling.models.new_manage_nonce, editable=False,
                                   max_length=22),
        ),
        migrations.RunPython(give_each_its_own, migrations.RunPython.noop, elidable=True),
    ]
