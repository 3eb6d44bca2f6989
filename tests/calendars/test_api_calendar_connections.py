"""``/v4/calendar-connections``: connecting, listing with status, disconnecting,
who may do what, and the address guard."""

import pytest

from scheduling.choices import Role
from scheduling.models import BusyTime, CalendarConnection
from tests.calendars.conftest import calendar
from tests.calendars.helpers import connect
from tests.conftest import client_for, make_member

pytestmark = pytest.mark.django_db

EMPTY = calendar()


def test_connecting_a_feed_reads_it_after_commit_and_shows_its_status(
        owner, server, allow_loopback, django_capture_on_commit_callbacks):
    client = client_for(owner, act_as=owner)
    url = server.serve("/work.ics", EMPTY)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/v4/calendar-connections",
                               {"type": "ics", "url": url, "name": "Work"}, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "pending" and created["lastSyncedAt"] is None
    assert created["userId"] == str(owner.user.uuid)

    listed = client.get("/v4/calendar-connections").json()
    assert listed["total"] == 1
    [shown] = listed["data"]
    assert shown["id"] == created["id"] and shown["url"] == url and shown["name"] == "Work"
    assert shown["status"] == "ok" and shown["lastError"] is None and shown["busyCount"] == 0
    assert shown["lastSyncedAt"].endswith("+00:00")


def test_a_failing_feed_shows_its_error(owner, server, allow_loopback):
    connect(owner, server.serve("/down.ics", status=500))
    [shown] = client_for(owner).get("/v4/calendar-connections").json()["data"]
    assert shown["status"] == "error"
    assert shown["lastError"] == "The calendar answered HTTP 500"
    assert shown["lastErrorAt"] is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8123/cal.ics", "http://10.0.0.1/cal.ics",
                                 "http://[::1]/cal.ics", "http://169.254.169.254/latest"])
def test_a_private_address_is_refused_without_connecting(owner, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = client_for(owner).post("/v4/calendar-connections", {"url": url}, format="json")
    assert response.status_code == 400
    assert "private, loopback" in response.json()["message"]
    assert not CalendarConnection.objects.exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/cal.ics",
                                 "webcal://example.com/cal.ics", "not a url", ""])
def test_only_http_and_https_addresses_are_accepted(owner, url):
    response = client_for(owner).post("/v4/calendar-connections", {"url": url}, format="json")
    assert response.status_code == 400
    assert not CalendarConnection.objects.exists()


def test_an_unknown_type_is_a_400(owner):
    response = client_for(owner).post("/v4/calendar-connections",
                                      {"type": "google", "url": "http://127.0.0.1/"},
                                      format="json")
    assert response.status_code == 400


def test_a_member_sees_reads_and_deletes_only_their_own_connections(owner, server, allow_loopback):
    member = make_member(owner, Role.MEMBER)
    mine = connect(member, server.serve("/m.ics", EMPTY))
    theirs = connect(owner, server.serve("/o.ics", EMPTY))
    client = client_for(member)

    listed = client.get("/v4/calendar-connections").json()
    assert [c["id"] for c in listed["data"]] == [str(mine.uuid)]
    assert client.get(f"/v4/calendar-connections/{mine.uuid}").json() == listed["data"][0]
    assert client.get(f"/v4/calendar-connections/{theirs.uuid}").status_code == 404
    assert client.delete(f"/v4/calendar-connections/{theirs.uuid}").status_code == 404
    assert client.delete(f"/v4/calendar-connections/{mine.uuid}").status_code == 200
    assert list(CalendarConnection.objects.all()) == [theirs]


def test_an_admin_sees_everyones_and_disconnects_them(owner, admin_member, server,
                                                      allow_loopback):
    member = make_member(owner, Role.MEMBER)
    day = "20990105"
    connection = connect(member, server.serve("/m.ics", calendar(
        f"UID:x@tests\nDTSTART;VALUE=DATE:{day}")))
    client = client_for(admin_member)

    listed = client.get("/v4/calendar-connections",
                        {"userId": str(member.user.uuid)}).json()
    assert [c["id"] for c in listed["data"]] == [str(connection.uuid)]
    response = client.delete(f"/v4/calendar-connections/{connection.uuid}")
    assert response.status_code == 200 and response.json()["id"] == str(connection.uuid)
    assert not BusyTime.objects.filter(user=member.user).exists()


def test_connections_of_another_company_are_not_found(owner, other_company, server,
                                                      allow_loopback):
    _, other_owner = other_company
    connection = connect(other_owner, server.serve("/g.ics", EMPTY))
    client = client_for(owner)
    assert client.get("/v4/calendar-connections").json()["total"] == 0
    assert client.get(f"/v4/calendar-connections/{connection.uuid}").status_code == 404
    assert client.delete(f"/v4/calendar-connections/{connection.uuid}").status_code == 404


def test_sync_now_reads_the_feed_again(owner, server, allow_loopback,
                                       django_capture_on_commit_callbacks):
    connection = connect(owner, server.serve("/c.ics", EMPTY))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/v4/calendar-connections/{connection.uuid}/sync")
    assert response.status_code == 202
    assert len(server.requests_to("/c.ics")) == 2
