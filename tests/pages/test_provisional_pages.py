"""Double opt-in and host confirmation, reached by signed links: a GET only shows,
the POST from the page decides."""

from scheduling import links
from scheduling.models import AppointmentStatus
from tests.pages.conftest import berlin, book, next_weekday, path_of
from tests.scheduling.conftest import make_meeting_type


def test_the_optin_page_confirms_only_by_its_post(client, host):
    meeting_type = make_meeting_type(host, title="Demo", slug="demo", double_opt_in=True)
    appointment = book(meeting_type, berlin(next_weekday(), 9))
    url = path_of(links.optin_url(appointment))
    page = client.get(url)
    assert "Yes, confirm my booking" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PENDING_OPTIN
    response = client.post(url, {"tz": "Europe/Berlin"}, follow=True)
    assert "You are scheduled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED


def test_an_optin_link_cannot_act_as_a_hosts_link(client, host):
    meeting_type = make_meeting_type(host, title="Demo", slug="demo", double_opt_in=True)
    appointment = book(meeting_type, berlin(next_weekday(), 9))
    token = links.make_token(appointment, links.OPTIN)
    response = client.post(f"/host/{token}", {"action": "confirm"})
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PENDING_OPTIN


def test_the_host_confirms_a_request_from_their_page(client, host):
    meeting_type = make_meeting_type(host, title="Audit", slug="audit",
                                     require_host_confirmation=True)
    appointment = book(meeting_type, berlin(next_weekday(), 9))
    url = path_of(links.host_url(appointment))
    page = client.get(url).content.decode()
    assert "Confirm booking" in page and "Analytical" in page  # the attendee's answers
    response = client.post(url, {"action": "confirm"})
    assert "Confirmed." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED


def test_the_host_declines_with_a_message_and_the_time_is_free_again(client, host):
    meeting_type = make_meeting_type(host, title="Audit", slug="audit",
                                     require_host_confirmation=True)
    day = next_weekday()
    appointment = book(meeting_type, berlin(day, 9))
    response = client.post(path_of(links.host_url(appointment)),
                           {"action": "decline", "reason": "Fully booked that week"})
    assert "Declined." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DECLINED
    assert appointment.cancel_reason == "Fully booked that week"
    again = book(meeting_type, berlin(day, 9), email="other@example.com")
    assert again.status == AppointmentStatus.PENDING_HOST


def test_deciding_twice_explains_instead_of_failing(client, host):
    meeting_type = make_meeting_type(host, title="Audit", slug="audit",
                                     require_host_confirmation=True)
    appointment = book(meeting_type, berlin(next_weekday(), 9))
    url = path_of(links.host_url(appointment))
    client.post(url, {"action": "confirm"})
    response = client.post(url, {"action": "decline"})
    assert response.status_code == 200
    assert "Only a provisional booking can be declined" in response.content.decode()
