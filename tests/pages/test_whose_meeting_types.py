"""Which meeting types are a user's, one rule for the pages and the API
(``scheduling.selectors``): a user's page lists the meeting types they host, one
on one or through a queue, which is what the API's ``hostId`` finds; the
addresses of the meeting types they only own (``bookingUrl``) still work."""

from django.core import mail

from scheduling.models import Appointment
from tests.conftest import client_for, make_member
from tests.pages.conftest import berlin, manage_path, next_weekday
from tests.scheduling.conftest import make_meeting_type, make_schedule


def listed_on_page(client, user) -> set[str]:
    html = client.get(f"/{user.slug}").content.decode()
    return {title for title in ("Intro call", "Team call", "Handed over") if title in html}


def hosted_in_api(api, user) -> set[str]:
    return {mt["title"] for mt in api.get(f"/v4/meeting-type?hostId={user.uuid}").json()}


def test_the_page_and_the_api_agree_on_what_a_user_hosts(client, host):
    member = make_member(host, email="mia@acme.test")
    make_meeting_type(host, title="Intro call")
    api = client_for(host)
    queue = api.post("/v4/queue", {"name": "Team", "memberIds": [str(member.user.uuid)]},
                     format="json").json()
    api.post("/v4/meeting-type", {"title": "Team call", "queueId": queue["id"]}, format="json")
    handed = make_meeting_type(host, title="Handed over")
    api.patch(f"/v4/meeting-type/{handed.uuid}", {"hostIds": [str(member.user.uuid)]},
              format="json")
    for membership, hosted in ((host, {"Intro call"}),
                               (member, {"Team call", "Handed over"})):
        assert listed_on_page(client, membership.user) == hosted
        assert hosted_in_api(api, membership.user) == hosted


def test_an_owner_s_booking_url_works_when_they_no_longer_host(client, host):
    member = make_member(host, email="mia@acme.test")
    make_schedule(member, timezone="Europe/Berlin", is_default=True)
    handed = make_meeting_type(host, title="Handed over", slug="handed")
    body = client_for(host).patch(f"/v4/meeting-type/{handed.uuid}",
                                  {"hostIds": [str(member.user.uuid)]}, format="json").json()
    assert body["bookingUrl"].endswith(f"/{host.user.slug}/handed")
    assert client.get(f"/{host.user.slug}/handed").status_code == 200
    assert client.get(f"/{member.user.slug}/handed").status_code == 200
    assert "Handed over" not in client.get(f"/{host.user.slug}").content.decode()


def test_the_api_lists_a_named_user_s_hosted_and_owned_meeting_types(host):
    member = make_member(host, email="mia@acme.test")
    make_meeting_type(host, title="Intro call")
    handed = make_meeting_type(host, title="Handed over")
    client_for(host).patch(f"/v4/meeting-type/{handed.uuid}",
                           {"hostIds": [str(member.user.uuid)]}, format="json")
    for membership, expected in ((host, {"Intro call", "Handed over"}),
                                 (member, {"Handed over"})):
        listed = client_for(host, act_as=membership).get("/v4/meeting-type").json()
        assert {mt["title"] for mt in listed} == expected


def test_an_attendee_without_a_zone_sees_the_hours_zone_on_pages_and_in_emails(
        client, host, django_capture_on_commit_callbacks):
    """The API books without a zone; slots were shown in the zone of the host's hours
    (Berlin), so the confirmation and the manage page show that zone too, not the
    host's own (Tokyo)."""
    host.user.timezone = "Asia/Tokyo"
    host.user.save(update_fields=["timezone"])
    meeting_type = make_meeting_type(host, title="Intro call", durations=[30],
                                     default_duration=30)
    start = berlin(next_weekday(), 10)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(host).post("/v4/booking", {
            "meetingTypeId": str(meeting_type.uuid), "start": start.isoformat(),
            "attendee": {"email": "ada@example.com", "firstname": "Ada",
                         "lastname": "Lovelace"}}, format="json")
    assert response.status_code == 201, response.json()
    confirmation, = [m for m in mail.outbox if "ada@example.com" in m.to]
    assert "10:00–10:30 (Europe/Berlin)" in confirmation.subject
    page = client.get(manage_path(Appointment.objects.get())).content.decode()
    assert "10:00–10:30" in page and "(Europe/Berlin)" in page


def test_the_host_s_decision_page_shows_the_host_s_own_zone(client, host):
    from scheduling import links
    from tests.pages.conftest import book, path_of

    host.user.timezone = "Asia/Tokyo"
    host.user.save(update_fields=["timezone"])
    meeting_type = make_meeting_type(host, title="Intro call", durations=[30],
                                     default_duration=30, require_host_confirmation=True)
    appointment = book(meeting_type, berlin(next_weekday(), 10))
    page = client.get(path_of(links.host_url(appointment))).content.decode()
    assert "17:00–17:30" in page or "18:00–18:30" in page
    assert "(Asia/Tokyo)" in page


def test_a_meeting_type_nobody_hosts_shows_its_company_s_zone_on_page_and_api(client, host):
    """Its hours have no zone of their own (a queue without members): the page and
    the slots answer both fall back to the company's zone."""
    host.company.timezone = "America/New_York"
    host.company.save(update_fields=["timezone"])
    api = client_for(host)
    queue = api.post("/v4/queue", {"name": "Empty"}, format="json").json()
    body = api.post("/v4/meeting-type", {"title": "Team call", "slug": "team",
                                         "queueId": queue["id"]}, format="json").json()
    day = next_weekday()
    answer = api.get("/v4/booking-availability", {"meetingTypeId": body["id"],
                                                  "start": str(day), "end": str(day)}).json()
    assert answer == {**answer, "availableSlots": [], "timezone": "America/New_York"}
    page = client.get(f"/{host.user.slug}/team").content.decode()
    assert '<option value="America/New_York" selected>' in page
