"""Every registered ModelAdmin, walked as an owner, an admin and a member of company A
while company B has rows in every table: nothing of B is shown or changed.

The admins are found from ``admin.site``, so a new one is covered by itself. B's
rows all carry the word "globex" (its name, its people's emails, its titles), so a
page that mentions it leaks.
"""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.urls import reverse

from crm.models import AuditLogEntry, Contact
from crm.services import Actor, contact_create, contact_delete, crm_company_create
from scheduling.choices import Role
from scheduling.models import (
    Appointment,
    BusyTime,
    CalendarConnection,
    Company,
    MeetingType,
    Membership,
    SentEmail,
    User,
)
from scheduling.services.api_keys import api_key_create
from scheduling.services.queues import queue_create
from scheduling.services.rooms import room_create
from tests.conftest import client_for, make_company, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
from tests.scheduling.test_bookings import at, book, utc_host
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

LEAK = "globex"
ROLES = (Role.OWNER, Role.ADMIN, Role.MEMBER)


@pytest.fixture
def globex(db):
    """Company B with a row in every table the admin shows."""
    company, owner = make_company(name="Globex", owner_email="boss@globex.test")
    member = utc_host(make_member(owner, email="staff@globex.test"))
    make_schedule(owner, name="Globex hours")
    meeting_type = make_meeting_type(owner, hosts=[member], title="Globex secret call")
    response = book(client_for(owner), meeting_type, at(monday_after(7), 10),
                    attendee={"email": "client@globex-client.test", "firstname": "Globex"})
    appointment = Appointment.objects.get(uuid=response.json()["appointmentId"])
    queue_create(company=company, actor=owner, name="Globex queue", kind="round_robin",
                 member_ids=[str(member.user.uuid)])
    room_create(company=company, name="globex-room", display_name="Globex room")
    connection = CalendarConnection.objects.create(company=company, user=member.user,
                                                   url="https://cal.globex.test/a.ics",
                                                   name="Globex calendar")
    start = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)
    BusyTime.objects.create(user=member.user, company=company, connection=connection,
                            start=start, end=start + dt.timedelta(hours=1), label="Globex busy")
    api_key_create(company=company, created_by=owner.user, name="Globex key")
    SentEmail.objects.create(appointment=appointment, recipient="client@globex-client.test",
                             kind="confirmation", subject="Globex confirmed", language="en",
                             start=appointment.start)
    crm_company_create(company=company, name="Globex Partner", domain="globex-partner.test")
    actor = Actor.admin(owner.user)
    contact_create(company=company, actor=actor, email="lead@globex-lead.test",
                   first_name="Globex", last_name="Lead")
    gone = contact_create(company=company, actor=actor, email="gone@globex-lead.test")
    contact_delete(contact=gone, actor=actor)
    endpoint = WebhookEndpoint.objects.create(company=company, url="https://hooks.globex.test/x",
                                              events=["booking_created"], secret="whsec_x")
    event = OutboxEvent.objects.filter(company=company).first()
    WebhookDelivery.objects.create(endpoint=endpoint, event=event)
    return company


@pytest.fixture
def acme(owner):
    """Company A's people by role, plus a little data of A's own."""
    people = {Role.OWNER: owner, Role.ADMIN: make_member(owner, Role.ADMIN),
              Role.MEMBER: utc_host(make_member(owner, Role.MEMBER))}
    make_meeting_type(owner, hosts=[people[Role.MEMBER]], title="Acme call")
    return people


def signed_in(client, membership):
    client.force_login(membership.user)
    return client


def b_rows(model, company):
    """B's rows of ``model``, found through whatever links them to B."""
    admin_ = admin.site._registry[model]
    path = getattr(admin_, "company_field", "company")
    if model is Group:
        return Group.objects.none()  # installation-wide: no company's rows
    if model is Company:
        return Company.objects.filter(pk=company.pk)
    if model is User:
        return User.objects.filter(memberships__company=company)
    return model._default_manager.filter(**{path: company}).distinct()


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def admin_url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


MODELS = [model for model in admin.site._registry]


def test_every_model_admin_is_scoped():
    from scheduling.core.adminsite import ScopedRights

    unscoped = [model.__name__ for model, admin_ in admin.site._registry.items()
                if not isinstance(admin_, ScopedRights) and model is not Group]
    assert unscoped == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_lists_and_filters_never_show_b(client, globex, acme, model):
    for role in ROLES:
        lists_and_filters_never_show_b(client, acme[role], model)


def lists_and_filters_never_show_b(client, membership, model):
    response = signed_in(client, membership).get(admin_url(model, "changelist"))
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert LEAK not in response.content.decode().lower()
        # Each filter choice too.
        for query in set(re.findall(r'href="(\?[^"]+)"', response.content.decode())):
            page = client.get(admin_url(model, "changelist") + query.replace("&amp;", "&"))
            assert LEAK not in page.content.decode().lower(), query


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_b_s_rows_cannot_be_opened_changed_or_deleted(client, globex, acme, model):
    for role in ROLES:
        b_s_rows_cannot_be_opened_changed_or_deleted(client, acme[role], globex, model)


def b_s_rows_cannot_be_opened_changed_or_deleted(client, membership, globex, model):
    signed_in(client, membership)
    for row in b_rows(model, globex)[:3]:
        before = model_to_dict(row)
        for view in ("change", "delete", "history"):
            response = client.get(admin_url(model, view, row.pk))
            assert response.status_code in (302, 403, 404), (view, row)
            assert LEAK not in response.content.decode().lower()
        client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
        client.post(admin_url(model, "change", row.pk), {})
        assert model_to_dict(model._default_manager.get(pk=row.pk)) == before


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_add_forms_offer_nothing_of_b(client, globex, acme, model):
    for role in ROLES:
        response = signed_in(client, acme[role]).get(admin_url(model, "add"))
        assert response.status_code in (200, 403), role
        if response.status_code == 200:
            assert LEAK not in response.content.decode().lower(), role


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_actions_on_b_s_rows_change_nothing(client, globex, acme, model):
    for role in ROLES:
        actions_on_b_s_rows_change_nothing(client, acme[role], globex, model)


def actions_on_b_s_rows_change_nothing(client, membership, globex, model):
    admin_ = admin.site._registry[model]
    signed_in(client, membership)
    rows = list(b_rows(model, globex)[:3])
    before = [model_to_dict(row) for row in rows]
    for name in [n for n in (admin_.actions or []) if isinstance(n, str)] + ["delete_selected"]:
        response = client.post(admin_url(model, "changelist"), {
            "action": name, "_selected_action": [row.pk for row in rows], "post": "yes"})
        assert LEAK not in body_of(response).lower(), name
    assert [model_to_dict(model._default_manager.get(pk=row.pk)) for row in rows] == before


@pytest.mark.parametrize("role", ROLES)
def test_autocompletes_offer_nothing_of_b(client, globex, acme, role):
    signed_in(client, acme[role])
    for model, admin_ in admin.site._registry.items():
        for field_name in getattr(admin_, "autocomplete_fields", ()):
            response = client.get(reverse("admin:autocomplete"), {
                "app_label": model._meta.app_label, "model_name": model._meta.model_name,
                "field_name": field_name, "term": ""})
            assert response.status_code in (200, 403), (model, field_name)
            assert LEAK not in response.content.decode().lower(), (model, field_name)


def test_a_member_s_export_carries_only_their_company(client, globex, acme):
    b_contact = Contact.objects.get(company=globex, email="lead@globex-lead.test")
    signed_in(client, acme[Role.MEMBER])
    response = client.post(admin_url(Contact, "changelist"), {
        "action": "export_csv", "_selected_action": [b_contact.pk]})
    assert response.streaming, "members may export the company's contacts"
    assert LEAK not in body_of(response).lower()


def test_imports_land_in_the_signed_in_company_only(client, globex, acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed_in(client, acme[Role.ADMIN])
    upload = SimpleUploadedFile("c.csv", b"email\nnew@import.test\n", content_type="text/csv")
    response = client.post(reverse("admin:crm_contact_import"),
                           {"company": globex.pk, "file": upload})
    assert response.status_code == 200
    assert not Contact.objects.filter(email="new@import.test").exists()
    upload.seek(0)
    client.post(reverse("admin:crm_contact_import"),
                {"company": acme[Role.ADMIN].company_id, "file": upload})
    assert Contact.objects.get(email="new@import.test").company_id == acme[Role.ADMIN].company_id


def test_rows_unknown_to_b_exist_for_each_model(globex):
    """The walk above is only as good as B's rows: every admin's model has some."""
    empty = [model.__name__ for model in MODELS
             if model is not Group and not b_rows(model, globex).exists()]
    assert empty == []


def test_a_member_sees_their_own_things_and_the_shared_ones(client, globex, acme):
    signed_in(client, acme[Role.MEMBER])
    assert client.get(admin_url(Contact, "changelist")).status_code == 200
    assert client.get(admin_url(Appointment, "changelist")).status_code == 200
    assert client.get(admin_url(WebhookEndpoint, "changelist")).status_code == 403
    assert client.get(admin_url(Membership, "changelist")).status_code == 403
    assert client.get(admin_url(AuditLogEntry, "changelist")).status_code == 403


def test_a_member_cannot_edit_another_member_s_meeting_type(client, acme):
    other = utc_host(make_member(acme[Role.OWNER], email="other@acme.test"))
    theirs = make_meeting_type(acme[Role.OWNER], hosts=[other], title="Theirs")
    signed_in(client, acme[Role.MEMBER])
    response = client.get(admin_url(MeetingType, "change", theirs.pk))
    assert response.status_code in (302, 403, 404)
    mine = MeetingType.objects.get(title="Acme call")
    assert client.get(admin_url(MeetingType, "change", mine.pk)).status_code == 200


def test_only_operators_see_installation_tables_and_grant_staff(client, acme):
    signed_in(client, acme[Role.OWNER])
    assert client.get("/admin/auth/group/").status_code == 403
    page = client.get(admin_url(User, "change", acme[Role.MEMBER].user_id)).content.decode()
    assert "is_superuser" not in page and "is_staff" not in page
    client.post(admin_url(User, "change", acme[Role.OWNER].user_id), {
        "email": "owner@acme.test", "given_name": "O", "family_name": "O",
        "timezone": "Europe/Berlin", "slug": acme[Role.OWNER].user.slug,
        "is_superuser": "on", "is_staff": "on"})
    user = User.objects.get(pk=acme[Role.OWNER].user_id)
    assert not user.is_superuser and not user.is_staff
