"""Attendee signals from scheduling become contacts and timeline events."""

import uuid

import pytest
from django.db import transaction

from crm.models import Contact, ContactEvent
from scheduling import signals

pytestmark = pytest.mark.django_db


def send(signal, company, **kwargs):
    return signal.send(sender=None, company=company, **kwargs)


def test_a_booking_creates_the_contact_and_its_booking_event(company):
    attendee = uuid.uuid4()
    [(_, contact)] = send(
        signals.attendee_booked, company, email="Eve@Example.com", first_name="Eve",
        last_name="Adams", additional_data={"jobTitle": "CFO"}, meeting_type_id=7,
        meeting_type_title="Demo", meeting_type_slug="demo", attendee_id=attendee,
    )
    assert contact.email == "eve@example.com"
    event = ContactEvent.objects.get(contact=contact)
    assert (event.event_type, event.meeting_type_title, event.attendee_id) == \
        ("booking", "Demo", attendee)


@pytest.mark.parametrize(("signal", "event_type"), [
    (signals.attendee_booking_cancelled, "booking_cancelled"),
    (signals.attendee_booking_rescheduled, "booking_rescheduled"),
    (signals.attendee_no_show, "no_show"),
    (signals.attendee_opted_in, "optin"),
    (signals.attendee_joined_room, "room_join"),
])
def test_each_signal_records_its_event_on_the_same_contact(company, signal, event_type):
    send(signals.attendee_booked, company, email="eve@example.com")
    send(signal, company, email="EVE@example.com", room_name="r-1")
    contact = Contact.objects.get()
    assert list(contact.events.values_list("event_type", flat=True)) == [event_type, "booking"]
    assert contact.event_count == 2


def test_a_no_show_raises_the_no_show_count(company):
    send(signals.attendee_no_show, company, email="eve@example.com")
    assert Contact.objects.get().no_show_count == 1


def test_the_contact_rolls_back_with_the_booking(company):
    with pytest.raises(RuntimeError), transaction.atomic():
        send(signals.attendee_booked, company, email="gone@example.com")
        raise RuntimeError("the booking failed")
    assert not Contact.objects.exists()
