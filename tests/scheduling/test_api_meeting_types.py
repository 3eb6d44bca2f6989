"""``/v4/meeting-type`` and ``/v4/queue``: settings, hosts or a queue, roles and
company isolation."""

import pytest

from scheduling.models import MeetingType, Queue
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule

pytestmark = pytest.mark.django_db

FULL = {
    "title": "Product demo",
    "slug": "demo",
    "description": "A look at the product",
    "durations": [60, 30, 45],
    "defaultDuration": 45,
    "slotInterval": 15,
    "bufferBefore": 5,
    "bufferAfter": 10,
    "minimumNotice": 120,
    "maxDaysInAdvance": 30,
    "dailyLimit": 4,
    "channels": ["zoom", "local", "connect", "phone"],
    "locations": [
        {"channel": "zoom", "link": "https://zoom.us/j/123"},
        {"channel": "local", "address": "Hauptstr. 1, Berlin", "name": "Berlin office"},
    ],
    "formFields": [
        {"key": "company", "label": "Company", "type": "text", "required": True},
        {"key": "size", "label": "Team size", "type": "select", "options": ["1-10", "11+"]},
    ],
    "doubleOptIn": True,
    "requireHostConfirmation": True,
    "allowPhoneOnlyBooking": True,
    "icsTitle": "Demo with {attendee}",
    "icsDescription": "See you there",
}


def test_it_creates_a_meeting_type_with_every_setting(api, owner):
    response = api.post("/v4/meeting-type", FULL, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for key, value in FULL.items():
        if key not in ("durations", "formFields"):
            assert body[key] == value, key
    assert body["durations"] == [30, 45, 60]
    assert body["formFields"][1] == {"key": "size", "label": "Team size", "type": "select",
                                     "required": False, "options": ["1-10", "11+"]}
    assert body["type"] == "one_on_one"
    assert body["hostIds"] == [str(owner.user.uuid)] and body["ownerId"] == body["hostIds"][0]
    assert body["queueId"] is None and body["scheduleId"] is None
    assert body["bookingUrl"].endswith(f"/{owner.user.slug}/demo")
    assert api.get(f"/v4/meeting-type/{body['id']}").json() == body


def test_defaults_make_a_bookable_thirty_minute_meeting(api):
    body = api.post("/v4/meeting-type", {"title": "Quick chat!"}, format="json").json()
    assert (body["slug"], body["durations"], body["defaultDuration"]) == (
        "quick-chat", [30], 30)
    assert body["channels"] == ["connect"]
    assert (body["slotInterval"], body["maxDaysInAdvance"], body["dailyLimit"]) == (
        None, None, None)
    again = api.post("/v4/meeting-type", {"title": "Quick chat"}, format="json").json()
    assert again["slug"] == "quick-chat-2"


def test_a_taken_slug_is_a_conflict(api):
    api.post("/v4/meeting-type", {"title": "A", "slug": "intro"}, format="json")
    response = api.post("/v4/meeting-type", {"title": "B", "slug": "intro"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "slug"


def test_the_same_slug_is_fine_in_another_company(api, other_company):
    make_meeting_type(other_company[1], slug="intro")
    assert api.post("/v4/meeting-type", {"title": "A", "slug": "intro"},
                    format="json").status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"durations": [30], "defaultDuration": 45}, "defaultDuration"),
        ({"durations": []}, "durations"),
        ({"durations": [0, 30]}, "durations.0"),
        ({"durations": [30, "x"]}, "durations.1"),
        ({"slotInterval": 0}, "slotInterval"),
        ({"bufferBefore": -5}, "bufferBefore"),
        ({"minimumNotice": "soon"}, "minimumNotice"),
        ({"maxDaysInAdvance": 0}, "maxDaysInAdvance"),
        ({"dailyLimit": 0}, "dailyLimit"),
        ({"channels": ["carrier-pigeon"]}, "channels.0"),
        ({"channels": ["zoom"]}, "channels.0"),
        ({"locations": [{"channel": "zoom"}]}, "locations.0.link"),
        ({"locations": [{"channel": "zoom", "link": "zoom.us/j/1"}]}, "locations.0.link"),
        ({"locations": [{"channel": "local"}]}, "locations.0.address"),
        ({"locations": [{"channel": "phone-incoming"}]}, "locations.0.phone"),
        ({"channels": ["connect"], "locations": [{"channel": "webex", "link": "https://w.x/1"}]},
         "locations.0.channel"),
        ({"formFields": [{"key": "1st", "label": "First"}]}, "formFields.0.key"),
        ({"formFields": [{"key": "a", "label": ""}]}, "formFields.0.label"),
        ({"formFields": [{"key": "a", "label": "A", "type": "colour"}]}, "formFields.0.type"),
        ({"formFields": [{"key": "a", "label": "A", "type": "select"}]}, "formFields.0.options"),
        ({"formFields": [{"key": "a", "label": "A", "options": ["x"]}]}, "formFields.0.options"),
        ({"formFields": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]},
         "formFields.1.key"),
        ({"icsTitle": "x" * 201}, "icsTitle"),
        ({"icsDescription": "x" * 2001}, "icsDescription"),
        ({"hostIds": ["not-a-uuid"]}, "hostIds.0"),
        ({"queueId": "00000000-0000-0000-0000-000000000000"}, "queueId"),
        ({"scheduleId": "00000000-0000-0000-0000-000000000000"}, "scheduleId"),
    ],
)
def test_bad_settings_are_refused_with_the_field_at_fault(api, payload, field):
    response = api.post("/v4/meeting-type", {"title": "T", **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not MeetingType.objects.exists()


def test_the_title_is_required(api):
    response = api.post("/v4/meeting-type", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "title", "message": "This field is required."}]


def test_patch_changes_only_what_it_names(api):
    body = api.post("/v4/meeting-type", FULL, format="json").json()
    url = f"/v4/meeting-type/{body['id']}"
    patched = api.patch(url, {"bufferAfter": 0, "durations": [45, 90]}, format="json").json()
    assert (patched["bufferAfter"], patched["durations"], patched["defaultDuration"]) == (
        0, [45, 90], 45)
    assert patched["minimumNotice"] == 120 and patched["locations"] == FULL["locations"]
    patched = api.patch(url, {"durations": [20]}, format="json").json()
    assert patched["defaultDuration"] == 20
    response = api.patch(url, {"channels": ["zoom", "local", "webex"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "channels.2"
    locations = [*FULL["locations"], {"channel": "webex", "link": "https://w.ex/1"}]
    patched = api.patch(url, {"locations": locations}, format="json").json()
    assert patched["channels"] == [*FULL["channels"], "webex"]


def test_hosts_must_be_users_of_the_company(api, owner, other_company):
    stranger = other_company[1].user
    response = api.post("/v4/meeting-type", {"title": "T", "hostIds": [str(stranger.uuid)]},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "hostIds.0", "message": "User not found in this company"}]
    assert not MeetingType.objects.exists()


def test_an_admin_creates_a_meeting_type_for_a_member_who_then_owns_it(owner, member):
    admin = client_for(make_member(owner, "admin"))
    body = admin.post("/v4/meeting-type", {"title": "T", "hostIds": [str(member.user.uuid)]},
                      format="json").json()
    assert body["ownerId"] == str(member.user.uuid)
    response = client_for(member).patch(f"/v4/meeting-type/{body['id']}", {"title": "Mine"},
                                        format="json")
    assert response.json()["title"] == "Mine"


def test_a_member_manages_only_their_own_meeting_types(owner, member):
    theirs = make_meeting_type(owner)
    client = client_for(member)
    assert client.get(f"/v4/meeting-type/{theirs.uuid}").status_code == 200
    assert client.patch(f"/v4/meeting-type/{theirs.uuid}", {"title": "x"},
                        format="json").status_code == 403
    assert client.delete(f"/v4/meeting-type/{theirs.uuid}").status_code == 403
    own = client.post("/v4/meeting-type", {"title": "Mine"}, format="json").json()
    assert own["hostIds"] == [str(member.user.uuid)]
    assert client.delete(f"/v4/meeting-type/{own['id']}").status_code == 200


def test_a_member_cannot_make_others_host_or_use_a_queue(owner, member):
    client = client_for(member)
    response = client.post("/v4/meeting-type",
                           {"title": "T", "hostIds": [str(owner.user.uuid)]}, format="json")
    assert response.status_code == 403
    queue = client_for(owner).post("/v4/queue", {"name": "Sales"}, format="json").json()
    response = client.post("/v4/meeting-type", {"title": "T", "queueId": queue["id"]},
                           format="json")
    assert response.status_code == 403
    assert not MeetingType.objects.exists()


def test_a_member_may_use_only_their_own_schedule(owner, member):
    theirs, own = make_schedule(owner), make_schedule(member)
    client = client_for(member)
    assert client.post("/v4/meeting-type", {"title": "T", "scheduleId": str(theirs.uuid)},
                       format="json").status_code == 403
    body = client.post("/v4/meeting-type", {"title": "T", "scheduleId": str(own.uuid)},
                       format="json").json()
    assert body["scheduleId"] == str(own.uuid)
    cleared = client.patch(f"/v4/meeting-type/{body['id']}", {"scheduleId": None},
                           format="json").json()
    assert cleared["scheduleId"] is None


def test_another_companys_queue_and_schedule_are_never_linked(api, other_company):
    foreign_owner = other_company[1]
    foreign_queue = client_for(foreign_owner).post("/v4/queue", {"name": "Q"},
                                                   format="json").json()
    foreign_schedule = make_schedule(foreign_owner)
    for payload, field in (({"queueId": foreign_queue["id"]}, "queueId"),
                           ({"scheduleId": str(foreign_schedule.uuid)}, "scheduleId")):
        response = api.post("/v4/meeting-type", {"title": "T", **payload}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == field
    assert not MeetingType.objects.exists()


def test_another_companys_meeting_types_are_invisible(api, other_company):
    foreign = make_meeting_type(other_company[1])
    url = f"/v4/meeting-type/{foreign.uuid}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"title": "x"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    assert api.get("/v4/meeting-type").json() == []  # meetergo's bare array
    foreign.refresh_from_db()
    assert foreign.title == "Intro call"


def test_the_list_filters_by_host(api, owner, member):
    make_meeting_type(owner, title="Owner's")
    make_meeting_type(owner, hosts=[member], title="Member's")
    queue = api.post("/v4/queue", {"name": "Team", "memberIds": [str(member.user.uuid)]},
                     format="json").json()
    api.post("/v4/meeting-type", {"title": "Team's", "queueId": queue["id"]}, format="json")
    assert len(api.get("/v4/meeting-type").json()) == 3  # meetergo's bare array
    titles = {m["title"] for m in api.get(
        f"/v4/meeting-type?hostId={member.user.uuid}").json()}
    assert titles == {"Member's", "Team's"}


def test_a_queue_meeting_type_has_the_queues_kind(api, owner, member):
    queue = api.post("/v4/queue", {"name": "Pair", "type": "co_host",
                                   "memberIds": [str(owner.user.uuid), str(member.user.uuid)]},
                     format="json").json()
    body = api.post("/v4/meeting-type", {"title": "Pair call", "queueId": queue["id"]},
                    format="json").json()
    assert (body["type"], body["queueId"], body["hostIds"]) == ("co_host", queue["id"], [])
    back = api.patch(f"/v4/meeting-type/{body['id']}", {"hostIds": [str(member.user.uuid)]},
                     format="json").json()
    assert (back["type"], back["queueId"]) == ("one_on_one", None)
    both = api.post("/v4/meeting-type", {"title": "X", "queueId": queue["id"],
                                         "hostIds": [str(owner.user.uuid)]}, format="json")
    assert both.status_code == 400


# --- queues ------------------------------------------------------------------------


def test_queues_are_managed_by_admins(api, owner, member):
    response = api.post("/v4/queue", {"name": "Sales", "memberIds": [
        str(owner.user.uuid), str(member.user.uuid)]}, format="json")
    assert response.status_code == 201, response.json()
    queue = response.json()
    assert (queue["type"], len(queue["memberIds"])) == ("round_robin", 2)
    url = f"/v4/queue/{queue['id']}"
    patched = api.patch(url, {"memberIds": [str(member.user.uuid)], "type": "co_host"},
                        format="json").json()
    assert (patched["memberIds"], patched["type"], patched["name"]) == (
        [str(member.user.uuid)], "co_host", "Sales")
    client = client_for(member)
    assert client.get(url).status_code == 200
    assert client.patch(url, {"name": "x"}, format="json").status_code == 403
    assert client.post("/v4/queue", {"name": "x"}, format="json").status_code == 403
    assert api.delete(url).status_code == 200
    assert not Queue.objects.exists()


def test_a_queue_in_use_cannot_be_deleted(api):
    queue = api.post("/v4/queue", {"name": "Sales"}, format="json").json()
    api.post("/v4/meeting-type", {"title": "T", "queueId": queue["id"]}, format="json")
    assert api.delete(f"/v4/queue/{queue['id']}").status_code == 409


def test_queue_members_must_be_users_of_the_company(api, other_company):
    stranger = other_company[1].user
    response = api.post("/v4/queue", {"name": "Q", "memberIds": [str(stranger.uuid)]},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "memberIds.0"
    response = api.post("/v4/queue", {"name": "Q", "type": "pairs"}, format="json")
    assert response.json()["errors"][0]["field"] == "type"


def test_another_companys_queues_are_invisible(api, other_company):
    foreign = client_for(other_company[1]).post("/v4/queue", {"name": "Q"}, format="json").json()
    assert api.get(f"/v4/queue/{foreign['id']}").status_code == 404
    assert api.delete(f"/v4/queue/{foreign['id']}").status_code == 404
    assert api.get("/v4/queue").json()["total"] == 0


def test_a_departed_owner_leaves_the_meeting_type_to_the_admins(api, owner, member):
    meeting_type = make_meeting_type(owner, hosts=[member, owner])
    assert api.delete(f"/v4/user/{member.user.uuid}").status_code == 200
    body = api.get(f"/v4/meeting-type/{meeting_type.uuid}").json()
    assert body["ownerId"] is None
    assert body["hostIds"] == [str(owner.user.uuid)]


def test_deleting_a_company_deletes_its_queues_and_meeting_types(api, company, owner):
    queue = api.post("/v4/queue", {"name": "Sales"}, format="json").json()
    api.post("/v4/meeting-type", {"title": "T", "queueId": queue["id"]}, format="json")
    company.delete()
    assert not MeetingType.objects.exists() and not Queue.objects.exists()
