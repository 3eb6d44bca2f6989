"""Contact services: validation, uniqueness, upsert from attendees, the timeline."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from crm.models import AuditLogEntry, Contact, ContactEvent
from crm.services import (
    InvalidContact,
    contact_event_record,
    contact_update,
    contact_upsert_from_attendee,
    crm_company_create,
)
from scheduling.core.errors import Conflict
from tests.crm.conftest import make_contact, record_booking
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_emails_are_unique_per_company_whatever_their_case(company):
    make_contact(company, email="Bob@Example.com")
    with pytest.raises(Conflict) as exc:
        make_contact(company, email="bob@EXAMPLE.com")
    assert exc.value.message == "A contact with this email already exists"


def test_the_database_refuses_a_duplicate_email_even_without_the_check(company):
    make_contact(company, email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(company=company, email="BOB@example.com")


def test_the_same_email_may_exist_in_another_company(company, other_company):
    make_contact(company, email="bob@example.com")
    assert make_contact(other_company[0], email="bob@example.com").pk


def test_many_contacts_may_have_no_email(company):
    make_contact(company, email="", phone_number="+4930123456")
    make_contact(company, email="", phone_number="+4930123457")
    assert Contact.objects.filter(company=company, email="").count() == 2


def test_phone_numbers_are_stored_as_e164_when_parseable(company):
    contact = make_contact(company, phone_number="+49 (30) 1234-5678")
    assert contact.phone_number == "+493012345678"


def test_an_unreal_phone_number_is_kept_as_given(company):
    assert make_contact(company, phone_number="+1234567890").phone_number == "+1234567890"


@pytest.mark.parametrize("phone", ["call me", "+" + "1" * 40])
def test_a_phone_without_digits_or_too_long_is_refused(company, phone):
    with pytest.raises(InvalidContact) as exc:
        make_contact(company, phone_number=phone)
    assert exc.value.errors[0]["field"] == "phoneNumber"


def test_email_or_phone_is_required(company):
    with pytest.raises(InvalidContact) as exc:
        make_contact(company, email="", first_name="Nobody")
    assert exc.value.errors == [
        {"field": "email", "message": "Either email or phoneNumber must be provided"}
    ]


def test_creating_writes_contact_created_with_the_contact(company):
    contact = make_contact(company, tags=["Lead"])
    event = OutboxEvent.objects.get(company=company, event="contact.created")
    assert event.data["id"] == str(contact.uuid)
    assert event.data["tags"] == ["Lead"]


def test_updating_writes_contact_updated_only_when_something_changed(company, contact):
    contact_update(contact=contact, first_name="Alice")
    assert not OutboxEvent.objects.filter(event="contact.updated").exists()
    contact_update(contact=contact, first_name="Alicia")
    assert OutboxEvent.objects.get(event="contact.updated").data["firstName"] == "Alicia"


def test_a_contact_is_linked_to_the_crm_company_of_its_email_domain(company):
    acme = crm_company_create(company=company, name="Acme Corp", domain="acme.example")
    assert make_contact(company, email="ann@ACME.example").crm_company == acme
    assert make_contact(company, email="ann@gmail.com").crm_company is None


def test_a_new_crm_company_links_existing_contacts_at_its_domain(company):
    earlier = make_contact(company, email="zoe@globex.example")
    crm = crm_company_create(company=company, name="Globex", domain="globex.example")
    earlier.refresh_from_db()
    assert earlier.crm_company == crm


def test_upsert_creates_a_contact_for_a_new_attendee(company):
    contact = contact_upsert_from_attendee(
        company=company, email="New@Example.com", first_name="New", last_name="Person",
        additional_data={"jobTitle": "CTO"},
    )
    assert (contact.email, contact.additional_data) == ("new@example.com", {"jobTitle": "CTO"})


def test_a_new_attendee_s_contact_shows_its_tags_without_a_query(
        company, django_assert_num_queries):
    contact = contact_upsert_from_attendee(company=company, email="new@example.com")
    with django_assert_num_queries(0):
        assert list(contact.tags.all()) == []


def test_upsert_enriches_the_contact_with_the_same_email(company, contact):
    contact_update(contact=contact, first_name="")
    again = contact_upsert_from_attendee(
        company=company, email="ALICE@example.com", phone="+4930123456", first_name="Al",
        last_name="Other", additional_data={"company": "Acme"},
    )
    again.refresh_from_db()
    assert again.pk == contact.pk
    assert (again.first_name, again.last_name) == ("Al", "Martin")  # gaps filled, names kept
    assert again.phone_number == "+4930123456"
    assert again.additional_data == {"company": "Acme"}


def test_upsert_matches_a_phone_only_attendee_by_phone(company):
    first = contact_upsert_from_attendee(company=company, phone="+1234567890")
    again = contact_upsert_from_attendee(company=company, phone="+1234567890", first_name="P")
    assert again.pk == first.pk
    assert Contact.objects.filter(company=company).count() == 1


def test_recording_events_keeps_count_and_last_seen_current(company, contact):
    later = dt.datetime(2024, 3, 27, tzinfo=dt.UTC)
    record_booking(contact, occurred_at=later)
    record_booking(contact, occurred_at=later - dt.timedelta(days=5))
    contact_event_record(contact=contact, event_type="no_show")
    contact.refresh_from_db()
    assert contact.event_count == 3
    assert contact.no_show_count == 1
    assert contact.last_seen_at > later  # the no-show happened now


def test_the_timeline_keeps_names_when_links_are_gone(company, contact):
    event = contact_event_record(contact=contact, event_type="room_join", room_id=None,
                                 room_name="team-standup-1234", room_display_name="Team Standup")
    event.refresh_from_db()
    assert (event.room_id, event.room_name) == (None, "team-standup-1234")


def test_an_unknown_event_type_is_refused(contact):
    with pytest.raises(Exception, match="Unknown event type"):
        contact_event_record(contact=contact, event_type="party")
    assert not ContactEvent.objects.exists()


def test_audit_entries_cannot_be_changed(company, contact, owner):
    from crm.services import Actor, contact_delete

    contact_delete(contact=contact, actor=Actor.admin(owner.user))
    entry = AuditLogEntry.objects.get()
    entry.action = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
