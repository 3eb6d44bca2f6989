"""Automatic tags: Recurring at 2+ bookings, Optin after a completed opt-in."""

import time

import pytest

from config.celery import app as celery_app
from crm.models import ContactTag
from crm.services import contact_apply_automatic_tags, contact_event_record, contact_update
from tests.crm.conftest import make_contact, record_booking
from tests.support.processes import celery_worker
from webhooks.models import OutboxEvent


def tags_of(contact) -> set[str]:
    return set(ContactTag.objects.filter(contact=contact).values_list("name", flat=True))


@pytest.mark.django_db
def test_one_booking_is_not_recurring_two_are(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_booking(contact)
    assert tags_of(contact) == set()
    with django_capture_on_commit_callbacks(execute=True):
        record_booking(contact)
    assert tags_of(contact) == {"Recurring"}


@pytest.mark.django_db
def test_a_completed_opt_in_tags_optin(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact_event_record(contact=contact, event_type="optin")
    assert tags_of(contact) == {"Optin"}


@pytest.mark.django_db
def test_the_task_is_queued_only_after_commit(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record_booking(contact)
        record_booking(contact)
    assert tags_of(contact) == set()  # nothing ran inside the transaction
    assert len(callbacks) == 2


@pytest.mark.django_db
def test_applying_twice_adds_nothing_and_keeps_a_persons_tags(contact):
    contact_update(contact=contact, tags=["Lead", "VIP"])
    record_booking(contact)
    record_booking(contact)
    assert contact_apply_automatic_tags(contact=contact) == ["Recurring"]
    assert contact_apply_automatic_tags(contact=contact) == []
    assert tags_of(contact) == {"Lead", "VIP", "Recurring"}
    assert OutboxEvent.objects.filter(event="contact.updated").count() == 2  # edit + tag


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_tags_contacts_from_events_recorded_through_the_services(company):
    regular = make_contact(company, email="regular@example.com", tags=["Lead"])
    once = make_contact(company, email="once@example.com")
    opted = make_contact(company, email="opted@example.com")
    celery_app.conf.task_always_eager = False
    try:
        with celery_worker():
            record_booking(regular)
            record_booking(regular)
            record_booking(once)
            contact_event_record(contact=opted, event_type="optin")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                tags_of(regular) == {"Lead", "Recurring"} and tags_of(opted) == {"Optin"}
            ):
                time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager = True
    assert tags_of(regular) == {"Lead", "Recurring"}
    assert tags_of(opted) == {"Optin"}
    assert tags_of(once) == set()
