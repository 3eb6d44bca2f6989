"""Staff see in the admin what was sent to whom and when, and cannot change it."""

import pytest

from scheduling.models import SentEmail
from tests.notifications.conftest import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(django_capture_on_commit_callbacks, meeting_type, start):
    with django_capture_on_commit_callbacks(execute=True):
        book(meeting_type, start, email="jane@client.test", language="de")
    return SentEmail.objects.get(recipient="jane@client.test")


def test_the_sent_email_list_shows_recipient_subject_kind_and_time(staff_client, logged):
    page = staff_client.get("/admin/scheduling/sentemail/").content.decode()
    assert "jane@client.test" in page
    assert logged.subject.split(" am ")[0] in page  # "Bestätigt: Intro call"
    assert "Confirmation to an attendee" in page
    assert f"/admin/scheduling/appointment/{logged.appointment_id}/change/" in page


def test_staff_can_search_the_log_by_recipient(staff_client, logged):
    page = staff_client.get("/admin/scheduling/sentemail/", {"q": "jane@"}).content.decode()
    assert "1 sent email" in page


def test_the_log_is_read_only(staff_client, logged):
    assert staff_client.get("/admin/scheduling/sentemail/add/").status_code == 403
    detail = staff_client.get(f"/admin/scheduling/sentemail/{logged.pk}/change/")
    assert detail.status_code == 200
    assert b'name="subject"' not in detail.content
    assert staff_client.post(f"/admin/scheduling/sentemail/{logged.pk}/delete/").status_code == 403
    assert SentEmail.objects.filter(pk=logged.pk).exists()
