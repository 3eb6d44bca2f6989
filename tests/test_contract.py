"""The suite's answers cover the documented API (tests/contract.py holds each of them
against the schema as it comes)."""

import pytest

from tests import contract

# Operations a run of the whole suite may leave unanswered, each with the reason.
NOT_EXERCISED: dict[str, str] = {}


def test_the_suite_answers_every_documented_operation():
    """Runs last (tests/conftest.py); lists, in the summary, every documented
    operation no test got a successful answer from."""
    if not contract.whole_suite:
        pytest.skip("only a run of the whole suite exercises every operation")
    contract.missing = contract.unexercised()
    assert sorted(set(contract.missing) - set(NOT_EXERCISED)) == []


def test_an_undocumented_field_in_an_answer_is_a_mismatch():
    schema = {"$ref": "#/components/schemas/Room"}
    room = {"id": "0b7f7c9e-6f6e-4d8e-9a3c-1a2b3c4d5e6f", "roomId": 1, "name": "a",
            "displayName": "A", "joinUrl": "http://127.0.0.1:8000/room/a",
            "createdAt": "2024-01-15T09:00:00+00:00", "updatedAt": "2024-01-15T09:00:00+00:00"}
    assert contract.schema_errors(schema, room) == []
    assert contract.schema_errors(schema, {**room, "colour": "red"})
    assert contract.schema_errors(schema, {k: v for k, v in room.items() if k != "name"})


def test_a_datetime_without_an_offset_is_a_mismatch():
    schema = {"$ref": "#/components/schemas/Room"}
    room = {"id": "0b7f7c9e-6f6e-4d8e-9a3c-1a2b3c4d5e6f", "roomId": 1, "name": "a",
            "displayName": "A", "joinUrl": "http://127.0.0.1:8000/room/a",
            "createdAt": "2024-01-15T09:00:00Z", "updatedAt": "2024-01-15T09:00:00"}
    assert len(contract.schema_errors(schema, room)) == 2
