"""Rooms: the /v4/rooms API, the admin, and join pages that land on the contact's timeline."""

from crm.models import Contact
from scheduling.models import Room
from tests.conftest import client_for, make_member
from tests.pages.conftest import berlin, book, next_weekday, path_of


def test_an_admin_creates_lists_reads_renames_and_deletes_rooms(host):
    api = client_for(host)
    created = api.post("/v4/rooms", {"name": "Board Room", "displayName": "The board room"},
                       format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "board-room" and body["displayName"] == "The board room"
    assert body["joinUrl"].endswith(f"/rooms/{host.company.slug}/board-room")
    assert api.get("/v4/rooms").json()["total"] == 1
    assert api.get(f"/v4/rooms/{body['id']}").json() == body
    renamed = api.patch(f"/v4/rooms/{body['id']}", {"displayName": "Boardroom"}, format="json")
    assert renamed.json()["displayName"] == "Boardroom"
    assert api.delete(f"/v4/rooms/{body['id']}").status_code == 200
    assert api.get(f"/v4/rooms/{body['id']}").status_code == 404


def test_a_second_room_of_the_same_name_is_a_conflict(host):
    api = client_for(host)
    api.post("/v4/rooms", {"name": "lobby"}, format="json")
    response = api.post("/v4/rooms", {"name": "Lobby"}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "A room with this name already exists"


def test_a_member_may_not_create_rooms(host):
    member = make_member(host)
    response = client_for(member).post("/v4/rooms", {"name": "mine"}, format="json")
    assert response.status_code == 403


def test_rooms_of_another_company_are_not_found(host, other_company):
    _company, other_owner = other_company
    room_id = client_for(other_owner).post("/v4/rooms", {"name": "x"}, format="json").json()["id"]
    assert client_for(host).get(f"/v4/rooms/{room_id}").status_code == 404


def test_joining_a_named_room_lands_on_the_contacts_timeline(client, host):
    room = client_for(host).post("/v4/rooms", {"name": "lobby", "displayName": "Lobby"},
                                 format="json").json()
    page = client.get(path_of(room["joinUrl"]))
    assert page.status_code == 200 and 'name="email"' in page.content.decode()
    joined = client.post(path_of(room["joinUrl"]), {"name": "Alan Turing",
                                                   "email": "Alan@Example.com"})
    assert "Welcome, Alan Turing" in joined.content.decode()
    contact = Contact.objects.get(company=host.company, email="alan@example.com")
    event = contact.events.get()
    assert event.event_type == "room_join"
    assert (event.room_name, event.room_display_name) == ("lobby", "Lobby")
    assert event.room_id == room["roomId"]
    assert (contact.first_name, contact.last_name) == ("Alan", "Turing")


def test_a_join_without_an_email_asks_again_and_records_nothing(client, host):
    room = client_for(host).post("/v4/rooms", {"name": "lobby"}, format="json").json()
    response = client.post(path_of(room["joinUrl"]), {"name": "Alan", "email": ""})
    assert 'id="id_email-error"' in response.content.decode()
    assert not Contact.objects.exists()


def test_a_connect_booking_has_its_own_room_as_meeting_link(client, meeting_type):
    appointment = book(meeting_type, berlin(next_weekday(), 11))
    api = client_for(meeting_type.company.memberships.get())
    link = api.get(f"/v4/appointment/{appointment.uuid}").json()["meetingLink"]
    assert link == appointment.meeting_link and f"/rooms/{appointment.room_token}" in link
    assert "Intro call" in client.get(path_of(link)).content.decode()
    client.post(path_of(link), {"name": "Ada Lovelace", "email": "ada@example.com"})
    room = Room.objects.get(appointment=appointment)
    event = Contact.objects.get(email="ada@example.com").events.get(event_type="room_join")
    assert event.room_id == room.pk and event.metadata["appointmentId"] == str(appointment.uuid)


def test_an_unknown_room_shows_a_friendly_page(client, db):
    response = client.get("/rooms/no-such-token")
    assert response.status_code == 404 and "Room not found" in response.content.decode()


def test_rooms_are_kept_in_the_admin(host, client):
    from scheduling.services.rooms import room_create

    room_create(company=host.company, name="lobby", display_name="Lobby")
    host.user.is_staff = host.user.is_superuser = True
    host.user.save()
    client.force_login(host.user)
    listing = client.get("/admin/scheduling/room/")
    assert listing.status_code == 200 and "Lobby" in listing.content.decode()
    added = client.post("/admin/scheduling/room/add/", {
        "company": host.company.pk, "display_name": "Studio", "name": "studio"})
    assert added.status_code == 302
    assert Room.objects.filter(company=host.company, name="studio").exists()
