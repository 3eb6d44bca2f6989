"""``/v4/user``: CRUD, both name spellings, roles and company isolation."""

import pytest

from scheduling.choices import Role
from scheduling.models import Membership, User
from tests.conftest import client_for, make_member
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_me_returns_the_keys_user(api, owner):
    response = api.get("/v4/user/me")
    assert response.status_code == 200
    body = response.json()
    assert body["userId"] == body["id"] == str(owner.user.uuid)
    assert body["email"] == owner.user.email
    assert body["bookingUrl"] == f"http://127.0.0.1:8000/{owner.user.slug}"


def test_it_creates_a_user_from_the_overview_spelling(api, company):
    response = api.post(
        "/v4/user",
        {"email": "John@Example.com", "firstname": "John", "lastname": "Doe",
         "timezone": "Europe/Berlin"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "john@example.com"
    assert (body["givenName"], body["familyName"]) == ("John", "Doe")
    assert body["role"] == "member"
    # meetergo's meaning on create: the provisioned meeting type's page.
    assert body["slug"] == "john-doe"
    assert body["bookingUrl"].endswith("/john-doe/30min-meeting")
    assert api.get(f"/v4/user/{body['userId']}").json()["bookingUrl"].endswith("/john-doe")
    assert Membership.objects.get(user__uuid=body["userId"]).company == company


def test_it_creates_a_user_from_the_code_examples_spelling(api):
    response = api.post(
        "/v4/user",
        {"email": "jane@example.com", "givenName": "Jane", "familyName": "Roe"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["firstname"] == "Jane"
    assert response.json()["timezone"] == "Europe/Berlin"  # the company's zone by default


def test_creating_a_user_writes_new_employee_to_the_outbox(api, company):
    body = api.post("/v4/user", {"email": "n@example.com"}, format="json").json()
    event = OutboxEvent.objects.get(company=company, event="new_employee")
    assert event.data == api.get(f"/v4/user/{body['userId']}").json()


def test_a_duplicate_email_is_a_conflict(api, owner):
    response = api.post("/v4/user", {"email": owner.user.email.upper()}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "email", "message": "A user with this email already exists"}
    ]


def test_bad_input_gives_field_errors(api):
    response = api.post("/v4/user", {"email": "nope", "timezone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed"
    assert {e["field"] for e in body["errors"]} == {"email", "timezone"}


def test_list_is_paginated_and_company_wide(api, owner, other_company):
    for _ in range(3):
        make_member(owner)
    body = api.get("/v4/user?limit=2&page=2").json()
    assert (body["total"], body["page"], body["limit"]) == (4, 2, 2)
    assert len(body["data"]) == 2
    emails = {u["email"] for u in api.get("/v4/user?limit=100").json()["data"]}
    assert other_company[1].user.email not in emails


def test_patch_changes_names_with_either_spelling(api, member):
    url = f"/v4/user/{member.user.uuid}"
    assert api.patch(url, {"givenName": "Mia"}, format="json").json()["firstname"] == "Mia"
    assert api.patch(url, {"lastname": "Meyer"}, format="json").json()["familyName"] == "Meyer"


def test_a_member_may_change_their_own_profile_but_not_anothers(owner, member):
    client = client_for(member)
    own = client.patch(f"/v4/user/{member.user.uuid}", {"timezone": "Asia/Tokyo"}, format="json")
    assert own.status_code == 200
    other = client.patch(f"/v4/user/{owner.user.uuid}", {"firstname": "X"}, format="json")
    assert other.status_code == 403


def test_a_member_cannot_create_or_delete_users(owner, member):
    client = client_for(member)
    assert client.post("/v4/user", {"email": "x@example.com"}, format="json").status_code == 403
    assert client.delete(f"/v4/user/{owner.user.uuid}").status_code == 403
    assert User.objects.filter(email="x@example.com").count() == 0


def test_a_member_cannot_raise_their_own_role(member):
    client = client_for(member)
    response = client.patch(f"/v4/user/{member.user.uuid}", {"role": "owner"}, format="json")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_an_admin_cannot_make_an_owner(owner, admin_member, member):
    client = client_for(admin_member)
    response = client.patch(f"/v4/user/{member.user.uuid}", {"role": "owner"}, format="json")
    assert response.status_code == 403
    promoted = client.patch(f"/v4/user/{member.user.uuid}", {"role": "admin"}, format="json")
    assert promoted.json()["role"] == "admin"


def test_a_company_field_in_the_body_is_refused(api, company, other_company):
    """An unknown field is a 400 naming it (nothing is dropped silently); the company is
    always the credential's."""
    response = api.post(
        "/v4/user", {"email": "c@example.com", "company": str(other_company[0].uuid)},
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["company"]
    assert not User.objects.filter(email="c@example.com").exists()
    assert api.post("/v4/user", {"email": "c@example.com"}, format="json").status_code == 201
    assert Membership.objects.get(user__email="c@example.com").company == company


def test_delete_removes_the_user(api, member):
    response = api.delete(f"/v4/user/{member.user.uuid}")
    assert response.status_code == 200
    assert response.json()["userId"] == str(member.user.uuid)
    assert not User.objects.filter(pk=member.user_id).exists()
    assert api.get(f"/v4/user/{member.user.uuid}").status_code == 404


def test_the_last_owner_cannot_be_removed(owner, admin_member):
    client = client_for(owner)
    response = client.delete(f"/v4/user/{owner.user.uuid}")
    assert response.status_code == 400
    assert response.json()["message"] == "A company must keep at least one owner"


def test_users_of_another_company_are_not_found(api, other_company):
    stranger = other_company[1].user
    assert api.get(f"/v4/user/{stranger.uuid}").status_code == 404
    patch = api.patch(f"/v4/user/{stranger.uuid}", {"firstname": "X"}, format="json")
    assert patch.status_code == 404
    assert api.delete(f"/v4/user/{stranger.uuid}").status_code == 404
    stranger.refresh_from_db()
    assert stranger.given_name == "Olivia"


def test_leaving_one_company_drops_what_the_user_had_there_only(api, owner, other_company):
    from scheduling.models import (
        ApiKey,
        AvailabilitySchedule,
        CalendarConnection,
        MeetingType,
        Membership,
    )
    from scheduling.services.api_keys import api_key_create
    from tests.scheduling.conftest import make_meeting_type, make_schedule

    other_owner = other_company[1]
    # Someone working for both companies.
    both = make_member(owner, email="both@example.com")
    elsewhere = Membership.objects.create(company=other_owner.company, user=both.user)
    make_schedule(both)
    make_schedule(elsewhere)
    here_type = make_meeting_type(owner, hosts=[owner, both])
    there_type = make_meeting_type(other_owner, hosts=[elsewhere])
    api_key_create(company=owner.company, created_by=both.user, kind="personal")
    api_key_create(company=other_owner.company, created_by=both.user, kind="personal")
    for membership in (both, elsewhere):
        CalendarConnection.objects.create(
            company=membership.company, user=both.user, url="https://cal.example/a.ics"
        )

    assert api.delete(f"/v4/user/{both.user.uuid}").status_code == 200

    assert User.objects.filter(pk=both.user_id).exists()
    assert not AvailabilitySchedule.objects.filter(company=owner.company, user=both.user).exists()
    assert AvailabilitySchedule.objects.filter(company=other_owner.company, user=both.user).exists()
    assert list(MeetingType.objects.get(pk=here_type.pk).hosts.all()) == [owner.user]
    assert list(MeetingType.objects.get(pk=there_type.pk).hosts.all()) == [both.user]
    assert not ApiKey.objects.filter(company=owner.company, created_by=both.user).exists()
    assert ApiKey.objects.filter(company=other_owner.company, created_by=both.user).exists()
    assert list(CalendarConnection.objects.filter(user=both.user).values_list(
        "company", flat=True)) == [other_owner.company_id]
