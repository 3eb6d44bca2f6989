"""``StrictSerializer``: a field the endpoint does not know is a 400 naming it."""

import pytest
from rest_framework import serializers

from scheduling.core.api.fields import StrictSerializer


class Attendee(StrictSerializer):
    email = serializers.EmailField()


class Booking(StrictSerializer):
    start = serializers.CharField()
    attendee = Attendee()
    also_known = frozenset({"legacyStart"})


def errors_of(data) -> dict:
    serializer = Booking(data=data)
    assert not serializer.is_valid()
    return serializer.errors


def test_an_unknown_field_is_named():
    errors = errors_of({"start": "x", "attendee": {"email": "a@b.test"}, "colour": "red"})
    assert list(errors) == ["colour"]
    assert "Unknown field 'colour'" in errors["colour"][0]


def test_an_unknown_nested_field_is_named_under_its_parent():
    errors = errors_of({"start": "x", "attendee": {"email": "a@b.test", "nickname": "J"}})
    assert list(errors["attendee"]) == ["nickname"]


@pytest.mark.parametrize("extra", [{}, {"legacyStart": "y"}])
def test_known_fields_and_declared_aliases_pass(extra):
    serializer = Booking(data={"start": "x", "attendee": {"email": "a@b.test"}, **extra})
    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize(("path", "body", "unknown"), [
    ("/v4/webhooks", {"url": "https://hooks.example.com/in", "eventTypes": ["x"]}, "eventTypes"),
    ("/v4/rooms", {"name": "standup", "colour": "red"}, "colour"),
    ("/v4/crm", {"email": "ada@example.com", "company": "Analytical"}, "company"),
    ("/v4/crm/bulk", {"contacts": [{"email": "ada@example.com"}], "upsert": True}, "upsert"),
])
def test_every_body_refuses_a_field_it_does_not_know(api, path, body, unknown):
    """Nothing a client sends is dropped silently, on Termin's own endpoints too: a
    webhook created with a misspelt ``eventTypes`` would otherwise receive every event."""
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert unknown in response.content.decode()
    assert "Unknown field" in response.content.decode()
