"""A client written from meetergo's pages alone, end to end, against Termin.

It creates a user (developer-docs/core-concepts/users), books the provisioned
meeting type at the first spot of the availability answer's ``dates[].spots[]``
(api-reference/booking-availability-v4, as meetergo's MCP server reads it), finds
the booking through ``/v4/appointment/paginated`` (api-reference/appointment-v4),
reschedules it the way the rescheduling guide does (availability with
``existingAppointmentId``, then ``POST .../reschedule``), cancels it
(``POST .../cancel``) and reads ``isCancelled`` and ``cancel.reason``.
Every request is a plain HTTP call with the client's base URL and key, as such a
client would send it.
"""

import datetime as dt

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_client_written_from_meetergo_s_pages_works_unchanged(owner):
    api = client_for(owner)

    created = api.post("/v4/user", {
        "email": "casey@example.com", "givenName": "Casey", "familyName": "Client",
        "timezone": "Europe/Berlin"}, format="json")
    assert created.status_code == 201, created.json()
    user = created.json()
    as_user = {"HTTP_X_MEETERGO_API_USER_ID": user["userId"]}

    today = dt.date.today()
    window = {"meetingTypeId": user["meetingTypeId"], "start": str(today + dt.timedelta(days=1)),
              "end": str(today + dt.timedelta(days=14))}
    availability = api.get("/v4/booking-availability", window, **as_user).json()
    first_spot = availability["dates"][0]["spots"][0]["startTime"]
    assert availability["earliestAvailableDate"] == availability["dates"][0]["date"]

    booked = api.post("/v4/booking", {
        "meetingTypeId": user["meetingTypeId"], "start": first_spot,
        "attendee": {"email": "jane@client.test", "firstname": "Jane", "lastname": "Smith",
                     "receiveReminders": True, "notes": {}}}, format="json", **as_user)
    assert booked.status_code == 201, booked.json()
    appointment_id = booked.json()["appointmentId"]

    page = api.get("/v4/appointment/paginated", {"page": 0, "pageSize": 20}, **as_user).json()
    found = next(a for a in page["appointments"] if a["id"] == appointment_id)
    assert page["total"] >= 1 and found["isCancelled"] is False
    host_ids = [host["id"] for host in found["hosts"]]  # oldBooking.hosts.map(h => h.id)
    assert host_ids == [user["userId"]]

    # The appointment's own time counts as free while moving it.
    moving = api.get("/v4/booking-availability", {
        **window, "hostIds": ",".join(host_ids), "existingAppointmentId": appointment_id},
        **as_user).json()
    starts = [spot["startTime"] for day in moving["dates"] for spot in day["spots"]]
    assert first_spot in starts
    new_start = starts[-1]
    moved = api.post(f"/v4/appointment/{appointment_id}/reschedule", {"start": new_start},
                     format="json", **as_user)
    assert moved.status_code in (200, 201), moved.json()
    instant = dt.datetime.fromisoformat
    assert instant(moved.json()["appointment"]["start"]) == instant(new_start)

    cancelled = api.post(f"/v4/appointment/{appointment_id}/cancel",
                         {"reason": "Plans changed"}, format="json", **as_user)
    assert cancelled.status_code in (200, 201), cancelled.json()
    read = api.get(f"/v4/appointment/{appointment_id}", **as_user).json()
    assert read["isCancelled"] is True
    assert read["cancel"]["reason"] == "Plans changed"
