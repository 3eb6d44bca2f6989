"""Trigram search on PostgreSQL: ``searchTerm`` is a substring match on
``crm_contact.search_text``, which a GIN index with ``gin_trgm_ops`` answers.

The index is not declared on the model because SQLite has no GIN indexes; this
migration is a no-op there (search stays correct, as a scan).
"""

from django.db import migrations

INDEX = "crm_contact_search_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_contact USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
