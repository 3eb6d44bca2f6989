"""``/v4/calendar-connections`` with ``"type": "caldav"`` against a real Radicale on
127.0.0.1: discovery, choosing calendars, credentials kept sealed and sent to the
account's own host only, and who may do what."""

import datetime as dt

import pytest
from django.core.cache import cache

from scheduling.choices import Role
from scheduling.models import CalDAVCalendar, CalendarConnection
from tests.calendars.caldav_helpers import busy_event, connect_caldav
from tests.calendars.conftest import calendar
from tests.calendars.helpers import BERLIN, connect
from tests.conftest import client_for, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_reads_remembered():
    cache.clear()


def account_with_calendars(radicale) -> tuple[str, str]:
    username, password = radicale.account()
    radicale.make_calendar(username, "work", "Work")
    radicale.make_calendar(username, "home", "Home")
    radicale.make_calendar(username, "tasks", "Tasks", ("VTODO",))
    return username, password


def fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def post_caldav(client, url, username, password, **extra):
    return client.post("/v4/calendar-connections", {
        "type": "caldav", "url": url, "username": username, "password": password, **extra,
    }, format="json")


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("path", ["", "/", "/{user}/"])
def test_connecting_finds_the_accounts_event_calendars(owner, radicale, path,
                                                       django_capture_on_commit_callbacks):
    username, password = account_with_calendars(radicale)
    client = client_for(owner, act_as=owner)
    url = radicale.url + path.format(user=username)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_caldav(client, url, username, password)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["type"] == "caldav" and created["url"] == url
    assert created["name"] == "CalDAV: 127.0.0.1"
    assert "password" not in created and "username" not in created
    assert password not in response.content.decode()
    found = {c["name"]: c for c in created["calendars"]}
    assert sorted(found) == ["Home", "Work"]  # the task list holds no events
    assert found["Work"]["url"] == f"{radicale.url}/{username}/work/"
    assert all(c["busy"] for c in found.values())
    assert created["bookingCalendarId"] == found["Work"]["id"]
    assert found["Work"]["receivesBookings"] and not found["Home"]["receivesBookings"]
    assert created["writes"] == {"pending": 0, "lastError": None, "lastErrorAt": None}

    # The first read ran once the connection committed.
    shown = client.get(f"/v4/calendar-connections/{created['id']}").json()
    assert shown["status"] == "ok" and shown["lastError"] is None
    assert {c["status"] for c in shown["calendars"]} == {"ok"}


@pytest.mark.usefixtures("allow_loopback")
def test_the_password_is_stored_sealed(owner, radicale):
    username, password = account_with_calendars(radicale)
    response = post_caldav(client_for(owner), radicale.url, username, password)
    connection = CalendarConnection.objects.get(uuid=response.json()["id"])
    stored = bytes(connection.credentials)
    assert password.encode() not in stored and username.encode() not in stored
    assert len(stored) > len(password) + len(username)


@pytest.mark.usefixtures("allow_loopback")
def test_wrong_credentials_are_a_400_naming_the_password(owner, radicale):
    username, _ = account_with_calendars(radicale)
    response = post_caldav(client_for(owner), radicale.url, username, "not-the-password")
    assert response.status_code == 400
    assert response.json()["message"] == "The CalDAV server refused the username or password"
    assert not CalendarConnection.objects.exists()


@pytest.mark.usefixtures("allow_loopback")
def test_a_server_that_is_not_caldav_is_a_400(owner, server):
    server.serve("/", "just a web page")
    response = post_caldav(client_for(owner), server.url + "/", "me", "secret")
    assert response.status_code == 400
    assert not CalendarConnection.objects.exists()


@pytest.mark.usefixtures("allow_loopback")
def test_a_redirect_to_another_host_is_not_followed_with_the_credentials(owner, server):
    from tests.calendars.server import ics_server

    with ics_server() as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", "localhost")
        for path in ("/", "/.well-known/caldav"):
            server.serve(path, status=301, location=f"{other}/steal/")
        response = post_caldav(client_for(owner), server.url + "/", "me", "secret")
        assert response.status_code == 400
        assert response.json()["message"] == (
            "The CalDAV server sent Termin to another host (localhost); a connection's "
            "requests, and its password, go only to 127.0.0.1")
        assert elsewhere.requests == []
    assert all("Authorization" in headers for _, headers in server.requests)


@pytest.mark.parametrize(("url", "message"), [
    ("http://calendar.example.com/", "must be reached over https"),
    ("https://127.0.0.1:5232/", "private, loopback"),
    ("https://me:secret@127.0.0.1/", "not in the URL"),
    ("ftp://example.com/", "valid http or https URL"),
])
def test_addresses_the_guard_refuses_are_400s_before_any_request(owner, settings, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = post_caldav(client_for(owner), url, "me", "secret")
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_unknown_fields_and_missing_credentials_are_400s_naming_them(owner):
    client = client_for(owner)
    unknown = post_caldav(client, "https://example.com/", "me", "secret", calendarName="x")
    assert unknown.status_code == 400 and fields(unknown) == ["calendarName"]
    missing = client.post("/v4/calendar-connections",
                          {"type": "caldav", "url": "https://example.com/", "username": "me"},
                          format="json")
    assert missing.status_code == 400 and fields(missing) == ["password"]
    feed = client.post("/v4/calendar-connections",
                       {"url": "https://example.com/cal.ics", "password": "x"}, format="json")
    assert feed.status_code == 400 and fields(feed) == ["password"]
    assert feed.json()["errors"][0]["message"] == "Only a caldav connection takes this"


@pytest.mark.usefixtures("allow_loopback")
def test_patch_chooses_the_busy_calendars_and_the_one_receiving_bookings(owner, radicale):
    account = connect_caldav(owner, radicale, "work", "home")
    radicale.put_event(account.username, account.urls["home"], "e.ics", busy_event(
        "e@tests", dt.datetime.combine(dt.date.today() + dt.timedelta(days=3), dt.time(9),
                                       BERLIN)))
    client = client_for(owner)
    work, home = account.calendar("work"), account.calendar("home")
    path = f"/v4/calendar-connections/{account.connection.uuid}"
    client.post(f"{path}/sync")  # reads Home's event

    response = client.patch(path, {"busyCalendarIds": [str(work.uuid)],
                                   "bookingCalendarId": str(home.uuid), "name": "Fastmail"},
                            format="json")
    assert response.status_code == 200, response.json()
    shown = {c["name"]: c for c in response.json()["calendars"]}
    assert shown["Work"]["busy"] and not shown["Home"]["busy"]
    assert shown["Home"]["receivesBookings"] and not shown["Work"]["receivesBookings"]
    assert response.json()["bookingCalendarId"] == str(home.uuid)
    assert response.json()["name"] == "Fastmail"
    assert not home.busy_times.exists()  # a calendar no longer busy blocks nothing

    none = client.patch(path, {"bookingCalendarId": None}, format="json")
    assert none.json()["bookingCalendarId"] is None
    assert not CalDAVCalendar.objects.filter(receives_bookings=True).exists()

    foreign = client.patch(path, {"busyCalendarIds": ["6b0c2c1e-0000-4000-8000-000000000000"]},
                           format="json")
    assert foreign.status_code == 400 and "Not a calendar of this connection" in \
        foreign.json()["message"]
    unknown = client.patch(path, {"calendars": []}, format="json")
    assert unknown.status_code == 400 and fields(unknown) == ["calendars"]


@pytest.mark.usefixtures("allow_loopback")
def test_new_credentials_are_checked_and_sealed(owner, radicale):
    account = connect_caldav(owner, radicale, "work")
    radicale.set_password(account.username, "new-app-password")
    client = client_for(owner)
    path = f"/v4/calendar-connections/{account.connection.uuid}"

    wrong = client.patch(path, {"password": "still-wrong"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "The CalDAV server refused the username or password"
    right = client.patch(path, {"password": "new-app-password"}, format="json")
    assert right.status_code == 200, right.json()
    assert [c["url"] for c in right.json()["calendars"]] == [account.urls["work"]]


@pytest.mark.usefixtures("allow_loopback")
def test_a_feed_has_no_calendars_to_choose(owner, server):
    feed = connect(owner, server.serve("/work.ics", calendar()))
    response = client_for(owner).patch(f"/v4/calendar-connections/{feed.uuid}",
                                       {"bookingCalendarId": None}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "Only CalDAV connections have this"


@pytest.mark.usefixtures("allow_loopback")
def test_members_manage_their_own_connections_and_admins_everyones(owner, radicale):
    member = make_member(owner, Role.MEMBER)
    admin = make_member(owner, Role.ADMIN)
    theirs = connect_caldav(owner, radicale, "work")
    mine = connect_caldav(member, radicale, "work")
    client = client_for(member)

    listed = client.get("/v4/calendar-connections").json()["data"]
    assert [c["id"] for c in listed] == [str(mine.connection.uuid)]
    other = f"/v4/calendar-connections/{theirs.connection.uuid}"
    assert client.patch(other, {"name": "x"}, format="json").status_code == 404
    own = f"/v4/calendar-connections/{mine.connection.uuid}"
    assert client.patch(own, {"name": "Mine"}, format="json").status_code == 200
    assert client_for(admin).patch(own, {"bookingCalendarId": None},
                                   format="json").status_code == 200
