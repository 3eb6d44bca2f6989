"""The one helper for ``INSERT ... RETURNING`` (scheduling/core/sql.py), on the
database the suite runs on (the ``then`` form is PostgreSQL's)."""

import pytest
from django.db import connection

from scheduling.core.sql import insert_returning, instance_from_row
from scheduling.models import Company
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

def test_an_inserted_row_reads_back_as_save_would_have_written_it():
    company = Company(name="Acme", slug="acme-sql")
    [(pk,)] = insert_returning(company)
    assert company.pk == pk and not company._state.adding
    stored = Company.objects.get(pk=pk)
    assert (stored.name, stored.slug, stored.uuid, stored.timezone, stored.created_at) == (
        "Acme", "acme-sql", company.uuid, "UTC", company.created_at)


def test_a_conflict_skipped_by_its_clause_returns_nothing_and_leaves_the_instance_unsaved():
    Company.objects.create(name="Acme", slug="acme-sql")
    again = Company(name="Other", slug="acme-sql")
    assert insert_returning(again, on_conflict="ON CONFLICT DO NOTHING") == []
    assert again.pk is None and again._state.adding
    assert Company.objects.get(slug="acme-sql").name == "Acme"


def test_an_expression_takes_the_place_of_a_value():
    company = Company(name="ignored", slug="acme-sql")
    [(_, name)] = insert_returning(company, returning="id, name",
                                   expressions={"name": ("UPPER(%s)", ["acme"])})
    assert name == "ACME" and Company.objects.get(pk=company.pk).name == "ACME"


@pytest.mark.postgresql(reason="a data-modifying WITH is PostgreSQL's")
def test_then_reads_the_inserted_row_in_the_same_statement():
    company = Company(name="Acme", slug="acme-sql")
    rows = insert_returning(company, returning="id, slug",
                            then="SELECT inserted.id, inserted.slug, %s FROM inserted",
                            then_params=["extra"])
    assert rows == [(company.pk, "acme-sql", "extra")]


def test_a_row_becomes_an_instance_with_its_fields_converted(company):
    event = OutboxEvent.objects.create(company=company, event="e", data={"a": [1, 2]})
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, event, id FROM webhooks_outboxevent WHERE id = %s",
                       [event.pk])
        row = cursor.fetchone()
    loaded = instance_from_row(OutboxEvent, ("data", "event", "id"), row)
    assert (loaded.pk, loaded.event, loaded.data) == (event.pk, "e", {"a": [1, 2]})
    assert loaded.get_deferred_fields() == {"uuid", "company_id", "created_at"}
