"""The contacts admin: lists, filters, the timeline, edits through services, CSV in and out."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import AuditLogEntry, Contact
from tests.crm.conftest import make_contact, record_booking
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("model", ["contact", "crmcompany", "auditlogentry"])
def test_each_model_has_a_working_list(staff_client, model):
    assert staff_client.get(f"/admin/crm/{model}/").status_code == 200


def test_the_list_searches_and_filters_by_tag_and_owner(staff_client, company, owner):
    make_contact(company, email="lead@example.com", tags=["Lead"], account_owner=owner.user.uuid)
    make_contact(company, email="plain@example.com", first_name="Zed")
    assert "plain@example.com" not in listed(staff_client.get("/admin/crm/contact/?tag=Lead"))
    assert "lead@example.com" in listed(staff_client.get("/admin/crm/contact/?tag=Lead"))
    page = listed(staff_client.get(f"/admin/crm/contact/?owner={owner.user.uuid}"))
    assert "lead@example.com" in page and "plain@example.com" not in page
    assert f'?owner={owner.user.uuid}"' in page  # the filter's own link
    page = listed(staff_client.get("/admin/crm/contact/?owner=none"))
    assert "plain@example.com" in page and "lead@example.com" not in page
    page = listed(staff_client.get("/admin/crm/contact/?q=ZED"))
    assert "plain@example.com" in page and "lead@example.com" not in page


def test_the_list_filters_narrow_as_the_api_filters_do(staff_client, api, company, owner,
                                                      admin_member):
    """One FilterSet: the admin's tag and owner filters find what /v4/crm's do."""
    make_contact(company, email="a@example.com", tags=["Lead"], account_owner=owner.user.uuid)
    make_contact(company, email="b@example.com", tags=["Lead", "VIP"],
                 account_owner=admin_member.user.uuid)
    make_contact(company, email="c@example.com", tags=["VIP"])
    for admin_query, api_query in (("tag=Lead", "tags=Lead"), ("tag=VIP", "tags=VIP"),
                                   (f"owner={owner.user.uuid}", f"ownerId={owner.user.uuid}"),
                                   (f"owner={admin_member.user.uuid}&tag=VIP",
                                    f"ownerId={admin_member.user.uuid}&tags=VIP")):
        page = listed(staff_client.get(f"/admin/crm/contact/?{admin_query}"))
        found = {c["email"] for c in api.get(f"/v4/crm?{api_query}").json()["data"]}
        assert found == {email for email in ("a@example.com", "b@example.com", "c@example.com")
                         if email in page}, admin_query


def test_the_change_page_shows_the_timeline(staff_client, contact):
    record_booking(contact, title="Quarterly review")
    page = listed(staff_client.get(f"/admin/crm/contact/{contact.pk}/change/"))
    assert "Quarterly review" in page


def form_data(company, **fields) -> dict:
    data = {"company": company.pk, "first_name": "", "last_name": "", "email": "",
            "phone_number": "", "tags": "", "notes": "", "crm_company": "",
            "account_owner": "", "additional_data": "{}",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}
    return {**data, **fields}


def test_adding_a_contact_goes_through_the_service(staff_client, company, owner):
    response = staff_client.post("/admin/crm/contact/add/", form_data(
        company, email="New@Example.com", phone_number="+49 30 1234567", tags="Lead, VIP"))
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = Contact.objects.get(email="new@example.com")
    assert contact.phone_number == "+49301234567"
    assert contact.tag_names == ["Lead", "VIP"]
    assert OutboxEvent.objects.filter(event="contact.created").exists()
    assert AuditLogEntry.objects.get(action="contact.created").via == "admin"


def test_the_admin_refuses_a_duplicate_email_and_a_bad_phone(staff_client, company, contact):
    response = staff_client.post("/admin/crm/contact/add/", form_data(
        company, email="ALICE@example.com"))
    assert "A contact with this email already exists" in listed(response)
    response = staff_client.post("/admin/crm/contact/add/", form_data(
        company, email="x@example.com", phone_number="nope"))
    assert "A phone number must contain digits" in listed(response)


def test_deleting_in_the_admin_audits_and_announces(staff_client, contact):
    response = staff_client.post(f"/admin/crm/contact/{contact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditLogEntry.objects.filter(action="contact.deleted").exists()
    assert OutboxEvent.objects.filter(event="contact.deleted").exists()


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")


CSV = (
    "firstName,lastName,email,phoneNumber,tags,jobTitle\n"
    "Alicia,,alice@example.com,,,CTO\n"
    "New,Person,new@example.com,+1234567890,\"Lead, Import\",\n"
    "Bad,Row,not-an-email,,,\n"
)


def test_a_dry_run_reports_per_row_errors_and_saves_nothing(staff_client, company, contact):
    response = staff_client.post("/admin/crm/contact/import/", {
        "company": company.pk, "file": upload(CSV), "dry_run": "on"})
    page = listed(response)
    assert "Dry run" in page
    assert "Created: 1, updated: 1" in page
    assert "<td>4</td><td>email</td><td>Enter a valid email address</td>" in page
    assert not Contact.objects.filter(email="new@example.com").exists()
    contact.refresh_from_db()
    assert contact.first_name == "Alice"


def test_an_import_upserts_by_email_and_keeps_good_rows(staff_client, company, contact):
    staff_client.post("/admin/crm/contact/import/", {"company": company.pk, "file": upload(CSV)})
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name) == ("Alicia", "Martin")
    assert contact.additional_data == {"jobTitle": "CTO"}
    new = Contact.objects.get(email="new@example.com")
    assert new.tag_names == ["Lead", "Import"]


def test_export_writes_the_selected_contacts_as_csv(staff_client, company, contact):
    make_contact(company, email="two@example.com", tags=["A", "B"])
    response = staff_client.post("/admin/crm/contact/", {
        "action": "export_csv", "_selected_action": [c.pk for c in Contact.objects.all()]})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["email"] for r in rows} == {"alice@example.com", "two@example.com"}
    assert next(r for r in rows if r["email"] == "two@example.com")["tags"] == "A, B"


def test_the_audit_log_is_read_only(staff_client, owner, contact):
    from crm.services import Actor, contact_delete

    contact_delete(contact=contact, actor=Actor.admin(owner.user))
    entry = AuditLogEntry.objects.get()
    assert staff_client.get("/admin/crm/auditlogentry/add/").status_code == 403
    assert staff_client.post(f"/admin/crm/auditlogentry/{entry.pk}/delete/",
                             {"post": "yes"}).status_code == 403
