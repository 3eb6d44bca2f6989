"""The audit log keeps its facts: who, for whom and whose, after they are deleted."""

import importlib

import pytest
from django.apps import apps

from crm.models import AuditLogEntry
from crm.services import Actor, contact_delete
from scheduling.choices import Role
from scheduling.models import Company, User
from tests.conftest import client_for, make_member
from tests.crm.conftest import make_contact

pytestmark = pytest.mark.django_db


def delete_through_the_api(owner, act_as=None) -> AuditLogEntry:
    contact = make_contact(owner.company, email="gone@example.com")
    response = client_for(owner, act_as=act_as).delete(f"/v4/crm/{contact.uuid}")
    assert response.status_code == 200
    return AuditLogEntry.objects.get(action="contact.deleted", target_id=str(contact.uuid))


def test_an_api_key_acting_for_another_user_records_both_people(owner):
    admin = make_member(owner, Role.ADMIN, email="ada@acme.test")
    entry = delete_through_the_api(owner, act_as=admin)
    assert (entry.actor, entry.acting_for, entry.via) == (owner.user, admin.user, "api_key")
    assert (entry.actor_email, entry.actor_name) == ("owner@acme.test", "Olivia Owner")
    assert (entry.acting_for_email, entry.acting_for_name) == ("ada@acme.test", "Admin Person1")


def test_it_keeps_who_and_for_whom_after_both_users_are_deleted(owner):
    admin = make_member(owner, Role.ADMIN, email="ada@acme.test")
    entry = delete_through_the_api(owner, act_as=admin)
    User.objects.filter(pk__in=[owner.user.pk, admin.user.pk]).delete()
    entry = AuditLogEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.acting_for) == (None, None)
    assert (entry.actor_email, entry.actor_name) == ("owner@acme.test", "Olivia Owner")
    assert (entry.acting_for_email, entry.acting_for_name) == ("ada@acme.test", "Admin Person1")


def test_deleting_the_company_keeps_its_entries_and_says_whose_they_were(company, owner):
    entry = delete_through_the_api(owner)
    contact_delete(contact=make_contact(company), actor=Actor.admin(owner.user))
    Company.objects.filter(pk=company.pk).delete()
    assert not Company.objects.filter(pk=company.pk).exists()
    entries = AuditLogEntry.objects.filter(company_uuid=company.uuid)
    assert entries.count() == 2
    assert {(e.company_id, e.company_name) for e in entries} == {(None, "Acme")}
    assert entries.get(pk=entry.pk).actor_email == "owner@acme.test"


def test_a_queryset_delete_is_refused(company, owner):
    delete_through_the_api(owner)
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry.objects.filter(company=company).delete()
    with pytest.raises(ValueError, match="append-only"):
        AuditLogEntry._base_manager.all().delete()
    assert AuditLogEntry.objects.count() == 1


def test_the_admin_shows_the_stored_text_once_the_links_are_gone(client, company, owner):
    entry = delete_through_the_api(owner)
    staff = User.objects.create_superuser("staff@example.com", "pw")
    client.force_login(staff)
    Company.objects.filter(pk=company.pk).delete()
    User.objects.filter(pk=owner.user.pk).delete()
    for path in ("/admin/crm/auditlogentry/", f"/admin/crm/auditlogentry/{entry.pk}/change/"):
        page = client.get(path).content.decode()
        assert "owner@acme.test" in page and "Acme" in page


def test_the_migration_fills_the_text_of_existing_entries(company, owner, member):
    bare = AuditLogEntry.objects.create(
        company=company, actor=owner.user, acting_for=member.user, via="api_key",
        action="contact.deleted", target_type="contact", target_id="1",
    )
    migration = importlib.import_module("crm.migrations.0003_audit_log_keeps_its_facts")
    migration.fill_text(apps, None)
    bare = AuditLogEntry.objects.get(pk=bare.pk)
    assert (bare.company_name, bare.company_uuid) == ("Acme", company.uuid)
    assert (bare.actor_email, bare.actor_name) == ("owner@acme.test", "Olivia Owner")
    assert (bare.acting_for_email, bare.acting_for_name) == (member.user.email,
                                                             member.user.full_name)
