"""Meeting types as meetergo's pages create, change and list them: ``meetingInfo``
and ``meetingOptions``, the older flat ``{name, duration, slug}``, the 409 for a
taken slug, and the list as a bare array, beside Termin's own fields.

Pages: developer-docs/core-concepts/meeting-types,
api-reference/meeting-types/create-meeting-type,
api-reference/meeting-type-v4/get-meeting-type-information."""

import pytest

from scheduling.models import AvailabilitySchedule, MeetingType
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type, make_schedule

pytestmark = pytest.mark.django_db

DISCOVERY = {
    "meetingInfo": {"name": "Discovery Call", "description": "Learn about your needs",
                    "duration": 30, "channel": "connect"},
    "slug": "discovery-call",
}


def create(client, body):
    response = client.post("/v4/meeting-type", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_meeting_info_shape_creates_and_answers_meetergos_fields(as_owner, owner):
    """developer-docs/core-concepts/meeting-types: Create a Meeting Type (its response)."""
    body = create(as_owner, DISCOVERY)
    assert body["slug"] == "discovery-call"
    assert body["meetingInfo"] == {
        "name": "Discovery Call", "description": "Learn about your needs", "duration": 30,
        "channel": "connect", "bufferBefore": 0, "bufferAfter": 0}
    assert body["bookingUrl"] == f"http://127.0.0.1:8000/{owner.user.slug}/discovery-call"
    assert body["userId"] == str(owner.user.uuid) and body["queueId"] is None
    # Termin's own fields, at once.
    assert (body["title"], body["durations"], body["defaultDuration"], body["channels"]) == (
        "Discovery Call", [30], 30, ["connect"])


def test_the_concept_pages_google_meet_needs_a_link(as_owner):
    """developer-docs/core-concepts/meeting-types sends channel google_meet. Termin does
    not make Google Meet meetings itself: the 400 names meetingInfo.channel and says how
    to give the link; with it, the same body works."""
    body = {**DISCOVERY, "meetingInfo": {**DISCOVERY["meetingInfo"], "channel": "google_meet"}}
    response = as_owner.post("/v4/meeting-type", body, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "meetingInfo.channel"
    assert "google needs a location with its link" in error["message"]
    created = create(as_owner, {**body, "locations": [
        {"channel": "google", "link": "https://meet.google.com/abc-defg-hij"}]})
    assert created["meetingInfo"]["channel"] == "google"


def test_the_api_references_full_create_body(as_owner, owner):
    """api-reference/meeting-types/create-meeting-type: meetingInfo with buffers,
    meetingOptions, availabilityId, locations as addresses."""
    schedule = make_schedule(owner, name="Office")
    body = create(as_owner, {
        "meetingInfo": {"name": "Consultation", "description": "In person or by phone",
                        "duration": 60, "channel": "in_person", "bufferBefore": 10,
                        "bufferAfter": 15},
        "meetingOptions": {"allowedDurations": [30, 60, 90],
                           "allowedChannels": ["in_person", "phone", "connect"]},
        "locations": ["Hauptstr. 1, Berlin"],
        "availabilityId": str(schedule.uuid),
        "slug": "consultation",
    })
    assert body["meetingInfo"]["channel"] == "local"
    assert body["meetingOptions"]["allowedDurations"] == body["durations"] == [30, 60, 90]
    assert body["meetingOptions"]["allowedChannels"] == ["local", "phone", "connect"]
    assert body["defaultDuration"] == 60
    assert (body["bufferBefore"], body["bufferAfter"]) == (10, 15)
    assert body["locations"] == [{"channel": "local", "address": "Hauptstr. 1, Berlin"}]
    assert body["availabilityId"] == body["scheduleId"] == str(schedule.uuid)


def test_the_older_flat_shape_works(as_owner):
    """developer-docs/core-concepts/meeting-types (older version): {name, duration, slug}
    answered with {id, name, slug, duration, bookingUrl}."""
    body = create(as_owner, {"name": "Discovery Call", "duration": 30, "slug": "discovery-call",
                             "description": "Let's discuss your needs", "bufferBefore": 5})
    assert {key: body[key] for key in ("name", "slug", "duration", "description")} == {
        "name": "Discovery Call", "slug": "discovery-call", "duration": 30,
        "description": "Let's discuss your needs"}
    assert body["id"] and body["bookingUrl"].endswith("/discovery-call")
    assert body["bufferBefore"] == 5


def test_termins_own_fields_still_work(as_owner):
    body = create(as_owner, {"title": "Demo", "durations": [45, 30], "defaultDuration": 45,
                             "channels": ["connect", "phone"]})
    assert (body["name"], body["duration"], body["meetingInfo"]["duration"]) == ("Demo", 45, 45)
    assert body["meetingOptions"]["allowedChannels"] == ["connect", "phone"]


def test_a_taken_slug_is_meetergos_409(as_owner):
    """api-reference/meeting-types/create-meeting-type: 409 for a slug in use."""
    create(as_owner, DISCOVERY)
    response = as_owner.post("/v4/meeting-type", DISCOVERY, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "A meeting type with this slug already exists"
    assert response.json()["errors"][0]["field"] == "slug"


def test_the_list_is_a_bare_array_of_the_named_users_meeting_types(owner):
    """developer-docs/core-concepts/meeting-types: List Meeting Types (for the user in
    x-meetergo-api-user-id), each item with id, slug, bookingUrl and meetingInfo."""
    member = make_member(owner)
    own = make_meeting_type(owner, title="Owner's")
    theirs = make_meeting_type(owner, hosts=[member], title="Member's")
    listed = client_for(owner, act_as=member).get("/v4/meeting-type").json()
    assert isinstance(listed, list)
    assert [item["id"] for item in listed] == [str(theirs.uuid)]
    item = listed[0]
    assert item["slug"] and item["bookingUrl"].endswith(f"/{member.user.slug}/{item['slug']}")
    assert set(item["meetingInfo"]) >= {"name", "duration", "channel", "description"}
    assert item["userId"] == str(member.user.uuid) and item["queueId"] is None
    assert item["title"] == "Member's"  # Termin's fields at once
    # Without the header (Termin's own use), the company's meeting types.
    company_wide = client_for(owner).get("/v4/meeting-type").json()
    assert {m["id"] for m in company_wide} == {str(own.uuid), str(theirs.uuid)}


def test_the_list_takes_page_and_limit_when_sent(owner):
    for n in range(3):
        make_meeting_type(owner, title=f"T{n}")
    client = client_for(owner)
    assert [m["title"] for m in client.get("/v4/meeting-type?page=2&limit=2").json()] == ["T2"]
    assert client.get("/v4/meeting-type?limit=0").status_code == 400


def test_a_patch_takes_the_same_shapes(as_owner):
    """developer-docs/core-concepts/meeting-types: Update a Meeting Type."""
    body = create(as_owner, DISCOVERY)
    url = f"/v4/meeting-type/{body['id']}"
    patched = as_owner.patch(url, {"meetingInfo": {"name": "Intro", "duration": 45}},
                             format="json").json()
    assert (patched["title"], patched["durations"], patched["defaultDuration"]) == (
        "Intro", [45], 45)
    patched = as_owner.patch(url, {"meetingOptions": {"allowedDurations": [15, 45]}},
                             format="json").json()
    assert (patched["durations"], patched["defaultDuration"]) == ([15, 45], 45)
    patched = as_owner.patch(url, {"duration": 30}, format="json").json()
    assert (patched["durations"], patched["defaultDuration"]) == ([15, 30, 45], 30)
    patched = as_owner.patch(url, {"name": "Intro call", "slug": "intro"}, format="json").json()
    assert (patched["name"], patched["slug"]) == ("Intro call", "intro")


def test_a_new_channel_drops_the_locations_of_channels_no_longer_offered(as_owner):
    body = create(as_owner, {"name": "Call", "duration": 30, "channels": ["zoom", "phone"],
                             "locations": [{"channel": "zoom", "link": "https://zoom.us/j/1"}]})
    patched = as_owner.patch(f"/v4/meeting-type/{body['id']}",
                             {"meetingInfo": {"channel": "phone"}}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["channels"], patched.json()["locations"]) == (["phone"], [])


def test_inline_availability_gives_the_meeting_type_hours_of_its_own(as_owner, owner):
    """api-reference/meeting-types/create-meeting-type: availability inline; without a
    schedule, only the exceptions open times."""
    make_schedule(owner, is_default=True)
    body = create(as_owner, {**DISCOVERY, "availability": {
        "timezone": "Europe/Berlin",
        "exceptions": [{"start": "2030-06-03T10:00:00+02:00", "end": "2030-06-03T12:00:00+02:00",
                        "available": True}]}})
    own = AvailabilitySchedule.objects.get(uuid=body["availabilityId"])
    assert (own.name, own.is_default, own.weekly["monday"]) == ("Discovery Call", False, [])
    assert own.user == owner.user
    assert [(o.date.isoformat(), o.intervals) for o in own.overrides.all()] == [
        ("2030-06-03", [{"start": "10:00", "end": "12:00"}])]
    both = as_owner.post("/v4/meeting-type", {"name": "X", "availabilityId": body["availabilityId"],
                                              "availability": {"schedule": {}}}, format="json")
    assert both.status_code == 400
    assert both.json()["errors"][0]["field"] == "availability"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "A", "name": "B"}, "name"),
    ({"name": "A", "meetingInfo": {"name": "B"}}, "meetingInfo.name"),
    ({"name": "A", "duration": 30, "meetingInfo": {"duration": 45}}, "meetingInfo.duration"),
    ({"name": "A", "defaultDuration": 30, "duration": 45}, "duration"),
    ({"name": "A", "channels": ["phone"], "meetingInfo": {"channel": "phone"}}, "channels"),
    ({"name": "A", "channel": "phone", "meetingInfo": {"channel": "connect"}},
     "meetingInfo.channel"),
    ({"name": "A", "scheduleId": "00000000-0000-0000-0000-000000000001",
      "availabilityId": "00000000-0000-0000-0000-000000000002"}, "availabilityId"),
])
def test_names_for_the_same_thing_must_agree(as_owner, body, field):
    response = as_owner.post("/v4/meeting-type", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not MeetingType.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"metadata": {"crmId": "42"}}, "metadata"),
    ({"meetingInfo": {"name": "A", "color": "rgb(0, 153, 255)"}}, "meetingInfo.color"),
    ({"meetingInfo": {"name": "A", "channel": "custom", "customChannelLink": "https://x.y"}},
     "meetingInfo.customChannelLink"),
    ({"meetingInfo": {"name": "A", "channel": "whereby"}}, "meetingInfo.channel"),
    ({"meetingOptions": {"channelAvailabilities": {}}}, "meetingOptions.channelAvailabilities"),
    ({"options": {"createOneTimeLink": True}}, "options.createOneTimeLink"),
])
def test_a_documented_field_termin_does_not_support_is_a_400_saying_so(as_owner, body, field):
    response = as_owner.post("/v4/meeting-type", {"name": "A", **body}, format="json")
    assert response.status_code == 400, response.json()
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert "does not support" in errors[field]
    assert not MeetingType.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "A", "colour": "red"}, "colour"),
    ({"meetingInfo": {"name": "A", "venue": "zoom"}}, "meetingInfo.venue"),
    ({"name": "A", "meetingOptions": {"guests": 3}}, "meetingOptions.guests"),
    ({"name": "A", "availability": {"schedule": {}, "holidays": "DE"}}, "availability.holidays"),
])
def test_an_unknown_field_is_a_400_naming_it(as_owner, body, field):
    """meetergo-api.md rule 3: nothing a client sends is dropped silently."""
    response = as_owner.post("/v4/meeting-type", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    patch = as_owner.patch(f"/v4/meeting-type/{make_meeting_type_id(as_owner)}", body,
                           format="json")
    assert patch.status_code == 400


def make_meeting_type_id(client) -> str:
    return create(client, {"name": "Existing", "duration": 30})["id"]


def test_a_member_with_a_personal_token_creates_their_own_from_meetergos_shape(member):
    client = client_for(member)
    body = create(client, DISCOVERY)
    assert body["userId"] == body["hostIds"][0] == str(member.user.uuid)
    assert [m["id"] for m in client.get("/v4/meeting-type",
                                        HTTP_X_MEETERGO_API_USER_ID=str(member.user.uuid)
                                        ).json()] == [body["id"]]
