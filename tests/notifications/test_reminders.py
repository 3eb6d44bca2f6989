"""Reminders 24 h and 1 h before, with a moved clock: once at each lead time, not
for cancelled, provisional or opted-out attendees, and re-timed by a reschedule."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError

from scheduling.models import Attendee, EmailKind, SentEmail
from scheduling.notifications import reminder_send, reminders_send_due
from scheduling.services.appointments import appointment_cancel, appointment_reschedule
from tests.notifications.conftest import book, only
from tests.scheduling.conftest import make_meeting_type

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
JANE = "jane@client.test"


def reminders():
    return [m for m in mail.outbox if m.subject.startswith(("Reminder", "Erinnerung"))]


def test_a_reminder_goes_once_24_hours_and_once_1_hour_before(meeting_type, start):
    appointment = book(meeting_type, start, timezone="UTC")
    assert reminders_send_due(now=start - 25 * HOUR) == 0
    assert reminders_send_due(now=start - 24 * HOUR + MINUTE) == 1
    assert reminders_send_due(now=start - 24 * HOUR + 2 * MINUTE) == 0
    assert reminders_send_due(now=start - 3 * HOUR) == 0
    assert reminders_send_due(now=start - HOUR + MINUTE) == 1
    assert reminders_send_due(now=start - 30 * MINUTE) == 0
    assert reminders_send_due(now=start + MINUTE) == 0
    first, second = reminders()
    assert first.to == second.to == [JANE]
    assert first.subject.startswith("Reminder: Intro call on Monday, ")
    assert "10:00–10:30 (UTC)" in first.subject
    assert "/manage/" in first.body
    assert sorted(appointment.sent_emails.filter(kind=EmailKind.REMINDER)
                  .values_list("lead_minutes", flat=True)) == [60, 24 * 60]


def test_a_late_sweep_still_sends_the_day_before_reminder_until_the_hour_before(
        meeting_type, start):
    book(meeting_type, start)
    assert reminders_send_due(now=start - 2 * HOUR) == 1
    assert reminders_send_due(now=start - 50 * MINUTE) == 1
    assert list(SentEmail.objects.filter(kind=EmailKind.REMINDER).order_by("pk")
                .values_list("lead_minutes", flat=True)) == [24 * 60, 60]


def test_a_german_attendee_is_reminded_in_german(meeting_type, start):
    book(meeting_type, start, language="de", timezone="Europe/Berlin")
    reminders_send_due(now=start - 2 * HOUR)
    (message,) = reminders()
    assert message.subject.startswith("Erinnerung: Intro call am Montag, ")
    assert "Wir möchten Sie an Ihren bevorstehenden Termin erinnern." in message.body


def test_bring_along_guests_are_reminded_without_the_manage_link(meeting_type, start):
    book(meeting_type, start, bringalong_emails=["guest@client.test"])
    assert reminders_send_due(now=start - 2 * HOUR) == 2
    assert "/manage/" not in only(reminders(), "guest@client.test").body
    assert "/manage/" in only(reminders(), JANE).body


def test_attendees_who_opted_out_get_no_reminders(meeting_type, start):
    book(meeting_type, start, receive_reminders=False)
    assert reminders_send_due(now=start - 2 * HOUR) == 0
    assert reminders_send_due(now=start - 30 * MINUTE) == 0
    assert mail.outbox == []


def test_skip_notifications_means_no_reminders(meeting_type, start):
    book(meeting_type, start, skip_notifications=True)
    assert reminders_send_due(now=start - 30 * MINUTE) == 0


def test_a_cancelled_appointment_gets_no_reminders(meeting_type, start):
    appointment = book(meeting_type, start)
    appointment_cancel(appointment=appointment)
    assert reminders_send_due(now=start - 2 * HOUR) == 0
    assert reminders_send_due(now=start - 30 * MINUTE) == 0


@pytest.mark.parametrize("flag", ["double_opt_in", "require_host_confirmation"])
def test_a_provisional_booking_gets_no_reminders(host, start, flag):
    provisional = make_meeting_type(host, title="Provisional", slug="provisional",
                                    durations=[30], default_duration=30, **{flag: True})
    book(provisional, start)
    assert reminders_send_due(now=start - 2 * HOUR) == 0
    assert reminders_send_due(now=start - 30 * MINUTE) == 0


def test_a_booking_made_inside_a_reminder_window_skips_that_reminder(meeting_type, start):
    book(meeting_type, start, now=start - 10 * HOUR)
    assert reminders_send_due(now=start - 9 * HOUR) == 0  # its confirmation just told them
    assert reminders_send_due(now=start - 30 * MINUTE) == 1
    assert SentEmail.objects.get(kind=EmailKind.REMINDER).lead_minutes == 60


def test_a_reschedule_re_times_the_reminders(meeting_type, start):
    appointment = book(meeting_type, start, timezone="UTC")
    assert reminders_send_due(now=start - 23 * HOUR) == 1  # the day before the old time
    later = start + dt.timedelta(days=2)
    appointment_reschedule(appointment=appointment, start=later)
    assert reminders_send_due(now=start - 30 * MINUTE) == 0  # nothing at the old time
    assert reminders_send_due(now=later - 23 * HOUR) == 1
    assert reminders_send_due(now=later - 30 * MINUTE) == 1
    assert reminders_send_due(now=later - 20 * MINUTE) == 0
    old, new_day, new_hour = reminders()
    assert "10:00–10:30 (UTC)" in new_day.subject and "Wednesday" in new_day.subject
    assert "Monday" in old.subject


def test_the_database_refuses_a_second_log_row_of_the_same_reminder(meeting_type, start):
    appointment = book(meeting_type, start)
    row = dict(appointment=appointment, recipient=JANE, kind=EmailKind.REMINDER,
               subject="Reminder", language="en", start=start, lead_minutes=60)
    SentEmail.objects.create(**row)
    with pytest.raises(IntegrityError):
        SentEmail.objects.create(**row)


def test_a_reminder_already_logged_is_not_sent(meeting_type, start):
    appointment = book(meeting_type, start)
    SentEmail.objects.create(appointment=appointment, recipient=JANE, kind=EmailKind.REMINDER,
                             subject="Reminder", language="en", start=start, lead_minutes=60)
    assert reminders_send_due(now=start - 30 * MINUTE) == 0
    assert mail.outbox == []


def test_a_sweep_racing_another_sends_nothing_when_the_row_exists(meeting_type, start):
    """The path of the loser of a race: the due list was read before the winner's
    row committed, so the unique constraint is what stops the second send."""
    appointment = book(meeting_type, start)
    SentEmail.objects.create(appointment=appointment, recipient=JANE, kind=EmailKind.REMINDER,
                             subject="Reminder", language="en", start=start, lead_minutes=60)
    attendee = Attendee.objects.get(appointment=appointment)
    assert reminder_send(attendee=attendee, lead=HOUR, now=start - 30 * MINUTE) is None
    assert mail.outbox == []
    assert SentEmail.objects.filter(kind=EmailKind.REMINDER).count() == 1


def test_the_reminder_sweep_runs_every_minute_on_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["scheduling-send-due-reminders"]
    assert entry == {"task": "scheduling.tasks.send_due_reminders", "schedule": 60.0}
