"""The staff console: members sign in to their company, pick it when they have
several, see their day, and every admin write runs the API's services."""

import csv
import io

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.admin import neutralise, unneutralise
from crm.models import Contact
from crm.services import Actor, contact_create
from scheduling.choices import Role
from scheduling.core.adminsite import SESSION_KEY
from scheduling.models import MeetingType, Membership, Queue, User
from tests.conftest import client_for, make_company, make_member
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_bookings import at, book, utc_host
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
PASSWORD = "a long and good password 42"


def with_password(membership):
    membership.user.set_password(PASSWORD)
    membership.user.save(update_fields=["password"])
    return membership


def sign_in(client, membership):
    response = client.post("/admin/login/", {"username": membership.user.email,
                                             "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER])
def test_every_member_signs_in_without_the_staff_flag(client, owner, role):
    membership = owner if role == Role.OWNER else make_member(owner, role)
    with_password(membership)
    assert not membership.user.is_staff
    sign_in(client, membership)
    assert client.get("/admin/").status_code == 200


def test_a_user_of_no_company_cannot_sign_in(client, db):
    User.objects.create_user(email="nobody@nowhere.test", password=PASSWORD, slug="nobody")
    response = client.post("/admin/login/", {"username": "nobody@nowhere.test",
                                             "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert client.get("/admin/").status_code == 302


def test_a_person_in_two_companies_switches_and_it_is_remembered(client, owner, other_company):
    with_password(owner)
    Membership.objects.create(company=other_company[0], user=owner.user, role=Role.MEMBER)
    sign_in(client, owner)
    page = client.get("/admin/").content.decode()
    assert 'id="company-switch"' in page and "Globex" in page
    client.post(reverse("admin:switch_company"), {"company": other_company[0].pk})
    assert client.session[SESSION_KEY] == other_company[0].pk
    assert "Globex" in client.get("/admin/").content.decode()
    # A company they do not belong to cannot be picked.
    third, _ = make_company(name="Initech", owner_email="boss@initech.test")
    assert client.post(reverse("admin:switch_company"), {"company": third.pk}).status_code == 403


def test_the_index_shows_the_user_s_appointments_today_and_this_week(client, owner):
    host = with_password(utc_host(owner))
    meeting_type = make_meeting_type(owner, hosts=[host], title="Morning intro")
    book(client_for(owner), meeting_type, at(monday_after(2), 10))
    sign_in(client, host)
    page = client.get("/admin/").content.decode()
    assert "Your appointments today" in page and "In the next seven days" in page
    assert "Morning intro" in page


def test_a_contact_page_shows_its_timeline_and_appointments(client, owner):
    utc_host(owner)
    meeting_type = make_meeting_type(owner, title="Demo call")
    book(client_for(owner), meeting_type, at(monday_after(7), 10))
    contact = Contact.objects.get(email="jane@client.test")
    sign_in(client, with_password(owner))
    page = client.get(reverse("admin:crm_contact_change", args=[contact.pk])).content.decode()
    assert "timeline (newest first)" in page.lower()
    assert "Demo call" in page


def test_an_appointment_page_shows_hosts_attendees_emails_and_deliveries(client, owner):
    from scheduling.models import Appointment, SentEmail
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    utc_host(owner)
    meeting_type = make_meeting_type(owner, title="Demo call")
    response = book(client_for(owner), meeting_type, at(monday_after(7), 10))
    appointment = Appointment.objects.get(uuid=response.json()["appointmentId"])
    SentEmail.objects.create(appointment=appointment, recipient="jane@client.test",
                             kind="confirmation", subject="Booked!", language="en",
                             start=appointment.start)
    endpoint = WebhookEndpoint.objects.create(company=owner.company, url="https://hooks.test/x",
                                              events=["booking_created"], secret="whsec_x")
    event = OutboxEvent.objects.get(company=owner.company, event="booking_created")
    WebhookDelivery.objects.create(endpoint=endpoint, event=event)
    sign_in(client, with_password(owner))
    page = client.get(reverse("admin:scheduling_appointment_change",
                              args=[appointment.pk])).content.decode()
    for expected in ("jane@client.test", "Olivia Owner", "Booked!", "booking_created",
                     "https://hooks.test/x"):
        assert expected in page, expected


# --- writes through the services ---------------------------------------------------------


def test_adding_a_user_in_the_admin_fires_new_employee(client, owner):
    sign_in(client, with_password(owner))
    response = client.post(reverse("admin:scheduling_user_add"), {
        "email": "newbie@acme.test", "given_name": "New", "family_name": "Bie",
        "role": "member"})
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="newbie@acme.test")
    assert Membership.objects.get(user=user).company_id == owner.company_id
    assert OutboxEvent.objects.filter(event="new_employee", data__email="newbie@acme.test")


def test_demoting_the_last_owner_in_the_admin_is_refused(client, owner):
    sign_in(client, with_password(owner))
    url = reverse("admin:scheduling_membership_change", args=[owner.pk])
    response = client.post(url, {"role": "member"})
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    assert "at least one owner" in response.content.decode()


def test_deleting_the_last_owner_in_the_admin_is_refused(client, owner):
    sign_in(client, with_password(owner))
    client.post(reverse("admin:scheduling_membership_delete", args=[owner.pk]), {"post": "yes"})
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_admin_as_a_slug_is_refused_in_the_admin(client, owner):
    member = make_member(owner)
    sign_in(client, with_password(owner))
    response = client.post(reverse("admin:scheduling_user_change", args=[member.user_id]), {
        "email": member.user.email, "given_name": "M", "family_name": "M",
        "timezone": "Europe/Berlin", "slug": "admin"})
    assert response.status_code == 200
    assert User.objects.get(pk=member.user_id).slug != "admin"


def test_a_member_cannot_host_someone_else_from_the_admin(client, owner):
    member = with_password(utc_host(make_member(owner)))
    other = make_member(owner, email="other@acme.test")
    sign_in(client, member)
    response = client.post(reverse("admin:scheduling_meetingtype_add"), {
        "company": owner.company_id, "title": "Sneaky", "hosts": [other.user_id],
        "durations": "[30]", "default_duration": "30", "buffer_before": "0",
        "buffer_after": "0", "minimum_notice": "0", "channels": "[]", "locations": "[]",
        "form_fields": "[]"})
    assert response.status_code in (200, 403)
    assert not MeetingType.objects.filter(title="Sneaky").exists()


def test_a_member_adds_a_meeting_type_they_host(client, owner):
    member = with_password(utc_host(make_member(owner)))
    sign_in(client, member)
    response = client.post(reverse("admin:scheduling_meetingtype_add"), {
        "company": owner.company_id, "title": "Mine", "hosts": [member.user_id],
        "durations": "[30]", "default_duration": "30", "buffer_before": "0",
        "buffer_after": "0", "minimum_notice": "0", "channels": "[]", "locations": "[]",
        "form_fields": "[]"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(MeetingType.objects.get(title="Mine").hosts.all()) == [member.user]


def test_queues_are_written_through_the_service(client, owner):
    member = make_member(owner)
    sign_in(client, with_password(owner))
    client.post(reverse("admin:scheduling_queue_add"), {
        "company": owner.company_id, "name": "Sales", "kind": "round_robin",
        "members": [member.user_id]})
    queue = Queue.objects.get(name="Sales")
    assert list(queue.members.all()) == [member.user]


def test_only_operators_grant_staff_or_superuser(client, owner):
    admin_member = with_password(make_member(owner, Role.ADMIN))
    member = make_member(owner)
    sign_in(client, admin_member)
    client.post(reverse("admin:scheduling_user_change", args=[member.user_id]), {
        "email": member.user.email, "given_name": "M", "family_name": "M",
        "timezone": "Europe/Berlin", "slug": member.user.slug, "is_staff": "on",
        "is_superuser": "on"})
    member.user.refresh_from_db()
    assert not member.user.is_staff and not member.user.is_superuser


def test_the_operator_sees_every_company(client, owner, other_company):
    User.objects.create_superuser(email="ops@termin.test", password=PASSWORD)
    client.login(email="ops@termin.test", password=PASSWORD)
    page = client.get(reverse("admin:scheduling_company_changelist")).content.decode()
    assert "Acme" in page and "Globex" in page
    assert client.get("/admin/auth/group/").status_code == 200


# --- CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+49 30 1234", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_export_neutralises_formulas_and_import_restores_them(cell):
    assert neutralise(cell) == "'" + cell
    assert unneutralise(neutralise(cell)) == cell
    assert neutralise("plain") == "plain" and unneutralise("'quoted") == "'quoted"


def test_a_formula_in_a_contact_survives_export_and_import(client, owner):
    contact = contact_create(company=owner.company, actor=Actor.admin(owner.user),
                             email="f@acme-client.test", first_name="=HYPERLINK(1)")
    sign_in(client, with_password(owner))
    response = client.post(reverse("admin:crm_contact_changelist"), {
        "action": "export_csv", "_selected_action": [contact.pk]})
    text = b"".join(response.streaming_content).decode()
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row["firstName"] == "'=HYPERLINK(1)"
    Contact.objects.filter(pk=contact.pk).update(first_name="changed")
    upload = SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")
    client.post(reverse("admin:crm_contact_import"), {"company": owner.company_id,
                                                      "file": upload})
    assert Contact.objects.get(pk=contact.pk).first_name == "=HYPERLINK(1)"


def test_the_admin_site_is_termin_s():
    from scheduling.core.adminsite import TerminAdminSite

    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site,
                      TerminAdminSite)


@pytest.mark.parametrize("model", ["user", "company"])
def test_reserved_slugs_are_refused_by_the_model_itself(owner, model):
    from django.core.exceptions import ValidationError

    row = owner.user if model == "user" else owner.company
    row.slug = "admin"
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert "slug" in refused.value.message_dict
