"""``/v4/availability``: schedules with weekly hours and date overrides."""

import pytest
from django.db import IntegrityError

from scheduling.models import AvailabilitySchedule
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_schedule, nine_to_five

pytestmark = pytest.mark.django_db

BODY = {
    "name": "Office hours",
    "timezone": "America/New_York",
    "weekly": {"tuesday": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}],
               "friday": [{"start": "20:00", "end": "24:00"}]},
    "overrides": [{"date": "2024-12-24", "intervals": []},
                  {"date": "2024-12-23", "intervals": [{"start": "10:00", "end": "11:00"}]}],
}


def test_it_creates_a_schedule_for_the_acting_user(api, owner):
    response = api.post("/v4/availability", BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["userId"] == str(owner.user.uuid)
    assert (body["name"], body["timezone"], body["isDefault"]) == (
        "Office hours", "America/New_York", True)
    assert body["weekly"]["tuesday"] == [{"start": "08:00", "end": "12:00"},
                                         {"start": "13:00", "end": "17:00"}]
    assert body["weekly"]["friday"] == [{"start": "20:00", "end": "24:00"}]
    assert body["weekly"]["monday"] == []
    assert body["overrides"] == [
        {"date": "2024-12-23", "intervals": [{"start": "10:00", "end": "11:00"}]},
        {"date": "2024-12-24", "intervals": []},
    ]
    assert body["createdAt"].endswith("+00:00")
    assert api.get(f"/v4/availability/{body['id']}").json() == body


def test_the_timezone_defaults_to_the_users(api, owner):
    body = api.post("/v4/availability", {"weekly": nine_to_five()}, format="json").json()
    assert body["timezone"] == owner.user.timezone == "Europe/Berlin"
    assert body["name"] == "Working hours"


def test_a_new_default_replaces_the_old_one(api, owner):
    first = api.post("/v4/availability", BODY, format="json").json()
    second = api.post("/v4/availability", {**BODY, "isDefault": True}, format="json").json()
    third = api.post("/v4/availability", BODY, format="json").json()
    assert second["isDefault"] and not third["isDefault"]
    assert api.get(f"/v4/availability/{first['id']}").json()["isDefault"] is False
    patched = api.patch(f"/v4/availability/{third['id']}", {"isDefault": True}, format="json")
    assert patched.json()["isDefault"] is True
    assert AvailabilitySchedule.objects.filter(user=owner.user, is_default=True).count() == 1


def test_the_database_refuses_a_second_default(owner):
    make_schedule(owner)
    with pytest.raises(IntegrityError):
        AvailabilitySchedule.objects.create(
            company=owner.company, user=owner.user, name="x", timezone="UTC", is_default=True)


def test_a_default_cannot_simply_be_unset(api):
    body = api.post("/v4/availability", BODY, format="json").json()
    response = api.patch(f"/v4/availability/{body['id']}", {"isDefault": False}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "isDefault"


def test_deleting_the_default_promotes_the_oldest_other_schedule(api):
    first = api.post("/v4/availability", BODY, format="json").json()
    second = api.post("/v4/availability", BODY, format="json").json()
    response = api.delete(f"/v4/availability/{first['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert api.get(f"/v4/availability/{first['id']}").status_code == 404
    assert api.get(f"/v4/availability/{second['id']}").json()["isDefault"] is True


def test_patch_replaces_the_fields_it_names(api):
    body = api.post("/v4/availability", BODY, format="json").json()
    response = api.patch(
        f"/v4/availability/{body['id']}",
        {"weekly": {"monday": [{"start": "07:30", "end": "09:00"}]}, "overrides": [],
         "timezone": "Asia/Calcutta"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    patched = response.json()
    assert patched["weekly"]["monday"] == [{"start": "07:30", "end": "09:00"}]
    assert patched["weekly"]["tuesday"] == []
    assert patched["overrides"] == []
    assert patched["timezone"] == "Asia/Kolkata"
    assert patched["name"] == "Office hours"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"weekly": {"monday": [{"start": "09:00", "end": "12:00"},
                                {"start": "11:00", "end": "13:00"}]}}, "weekly.monday.1"),
        ({"weekly": {"monday": [{"start": "10:00", "end": "09:00"}]}}, "weekly.monday.0"),
        ({"weekly": {"monday": [{"start": "09:00", "end": "09:00"}]}}, "weekly.monday.0"),
        ({"weekly": {"monday": [{"start": "9am", "end": "17:00"}]}}, "weekly.monday.0.start"),
        ({"weekly": {"monday": [{"start": "09:00", "end": "25:00"}]}}, "weekly.monday.0.end"),
        ({"weekly": {"funday": []}}, "weekly.funday"),
        ({"weekly": {"monday": "09:00-17:00"}}, "weekly.monday"),
        ({"weekly": ["monday"]}, "weekly"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"overrides": [{"date": "2024-02-30", "intervals": []}]}, "overrides.0.date"),
        ({"overrides": [{"date": "2024-12-24", "intervals": []},
                        {"date": "2024-12-24", "intervals": []}]}, "overrides.1.date"),
        ({"overrides": [{"date": "2024-12-24", "intervals": [
            {"start": "10:00", "end": "12:00"}, {"start": "08:00", "end": "10:30"}]}]},
         "overrides.0.intervals.0"),
    ],
)
def test_bad_schedules_are_refused_with_the_field_at_fault(api, payload, field):
    response = api.post("/v4/availability", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed"
    assert field in [error["field"] for error in body["errors"]]
    assert not AvailabilitySchedule.objects.exists()


def test_touching_intervals_are_fine(api):
    weekly = {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "13:00"}]}
    response = api.post("/v4/availability", {"weekly": weekly}, format="json")
    assert response.status_code == 201


def test_a_bad_patch_changes_nothing(api):
    body = api.post("/v4/availability", BODY, format="json").json()
    response = api.patch(
        f"/v4/availability/{body['id']}",
        {"name": "New", "weekly": {"monday": [{"start": "10:00", "end": "09:00"}]}},
        format="json",
    )
    assert response.status_code == 400
    assert api.get(f"/v4/availability/{body['id']}").json() == body


def test_the_list_shows_the_acting_users_schedules(owner, member):
    make_schedule(owner)
    own = make_schedule(member, name="Mine")
    client = client_for(owner, act_as=member)
    body = client.get("/v4/availability").json()
    assert body["total"] == 1
    assert [s["id"] for s in body["data"]] == [str(own.uuid)]
    assert client_for(owner).get("/v4/availability").json()["data"][0]["userId"] == str(
        owner.user.uuid)


def test_a_member_manages_only_their_own_schedules(owner, member):
    theirs = make_schedule(owner)
    client = client_for(member)
    assert client.get(f"/v4/availability/{theirs.uuid}").status_code == 200
    assert client.patch(f"/v4/availability/{theirs.uuid}", {"name": "x"},
                        format="json").status_code == 403
    assert client.delete(f"/v4/availability/{theirs.uuid}").status_code == 403
    own = client.post("/v4/availability", BODY, format="json").json()
    assert client.patch(f"/v4/availability/{own['id']}", {"name": "Mine"},
                        format="json").json()["name"] == "Mine"


def test_an_admin_manages_a_members_schedule(owner, member):
    schedule = make_schedule(member)
    admin = client_for(make_member(owner, "admin"))
    response = admin.patch(f"/v4/availability/{schedule.uuid}", {"name": "Fixed"}, format="json")
    assert response.status_code == 200
    assert response.json()["userId"] == str(member.user.uuid)


def test_another_companys_schedules_are_invisible(api, other_company):
    foreign = make_schedule(other_company[1])
    url = f"/v4/availability/{foreign.uuid}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "x"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert api.get("/v4/availability/not-a-uuid").status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Working hours"
