"""Helpers for crm tests: contacts and timeline events made through the services."""

import pytest

from crm.services import contact_create, contact_event_record


def make_contact(company, **fields):
    fields.setdefault("email", f"person{make_contact.count}@example.com")
    make_contact.count += 1
    return contact_create(company=company, **fields)


make_contact.count = 0


def record_booking(contact, title: str = "Intro call", **extra):
    return contact_event_record(
        contact=contact, event_type="booking", meeting_type_id=3, meeting_type_title=title,
        meeting_type_slug="intro-call", **extra,
    )


@pytest.fixture
def contact(company):
    return make_contact(company, first_name="Alice", last_name="Martin",
                        email="alice@example.com")
