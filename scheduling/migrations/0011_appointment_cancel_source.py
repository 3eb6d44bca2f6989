"""Appointments keep who cancelled or declined them (``cancel.actionSource`` and
``cancel.actionBy`` in their answers). Rows cancelled before stay blank: their
answers derive what they can from the status."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0010_appointment_manage_nonce"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="cancel_source",
            field=models.CharField(blank=True, max_length=10, choices=[
                ("attendee", "The attendee (manage page or x-appointment-secret)"),
                ("host", "A host of the appointment"),
                ("admin", "An admin or owner, or staff in the admin console"),
                ("system", "Termin (a provisional hold expired)"),
            ]),
        ),
        migrations.AddField(
            model_name="appointment",
            name="cancel_actor",
            field=models.CharField(blank=True, max_length=36),
        ),
    ]
