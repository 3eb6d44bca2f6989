"""The quick start's demo data lets a newcomer list slots at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from scheduling.choices import Role
from scheduling.models import AvailabilitySchedule, Company, MeetingType, Membership, User
from scheduling.services.meeting_types import meeting_type_delete
from scheduling.services.tenancy import user_create, user_remove, user_update

pytestmark = pytest.mark.django_db

DEMO_EMAIL = "demo@termin.local"


def run_demo_data() -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def me(output: str) -> dict:
    """``GET /v4/user/me`` with the key ``demo_data`` printed, which must work."""
    token = next(line for line in output.splitlines() if "API key:" in line).split()[-1]
    response = APIClient().get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json()


def said(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Demo data:"))


def demo_owner() -> Membership:
    return Membership.objects.get(company__slug="demo", user__email=DEMO_EMAIL)


def test_demo_data_gives_an_intro_call_with_weekday_slots_and_stays_idempotent():
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    call_command("demo_data", stdout=io.StringIO())
    assert MeetingType.objects.count() == 1 and AvailabilitySchedule.objects.count() == 1
    token = next(line for line in out.getvalue().splitlines() if "API key:" in line).split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    today = dt.date.today()
    response = client.get("/v4/booking-availability", {
        "meetingTypeId": str(MeetingType.objects.get().uuid),
        "start": str(today), "end": str(today + dt.timedelta(days=7))})
    assert response.status_code == 200
    assert len(response.json()["availableSlots"]) >= 4 * 16


def test_demo_data_says_what_it_created_then_what_it_found():
    assert said(run_demo_data()) == (
        "Demo data: created the demo company and its owner demo@termin.local; "
        "created the owner's Weekdays schedule; created the Intro call.")
    assert said(run_demo_data()) == (
        "Demo data: found the demo company and its owner demo@termin.local.")
    assert Company.objects.count() == 1 and User.objects.count() == 1
    assert Membership.objects.get().role == Role.OWNER


def test_demo_data_finds_its_owner_after_their_email_and_name_changed():
    run_demo_data()
    owner = demo_owner()
    user_update(membership=owner, actor=owner, email="grace@example.test",
                given_name="Grace", family_name="Hopper")

    output = run_demo_data()

    assert said(output) == ("Demo data: found the demo company and its owner, "
                            "whose email is now grace@example.test.")
    assert me(output)["email"] == "grace@example.test"
    assert "(grace@example.test / demo)" in output
    assert User.objects.count() == 1 and MeetingType.objects.count() == 1
    assert AvailabilitySchedule.objects.count() == 1


def test_demo_data_recreates_an_owner_removed_through_the_api():
    run_demo_data()
    demo = demo_owner()
    other = user_create(company=demo.company, actor=demo, email="grace@example.test",
                        role=Role.OWNER)
    user_remove(membership=demo, actor=other)
    assert not User.objects.filter(email=DEMO_EMAIL).exists()

    output = run_demo_data()

    assert said(output) == (
        "Demo data: the demo owner was gone: recreated demo@termin.local; "
        "recreated the owner's Weekdays schedule; "
        "the Intro call had no host: demo@termin.local hosts it again.")
    assert me(output)["email"] == DEMO_EMAIL
    user = User.objects.get(email=DEMO_EMAIL)
    assert user.check_password("demo") and user.is_staff
    assert demo_owner().role == Role.OWNER
    assert list(MeetingType.objects.get().hosts.all()) == [user]


def test_demo_data_recreates_an_owner_whose_user_was_deleted():
    run_demo_data()
    User.objects.filter(email=DEMO_EMAIL).delete()

    output = run_demo_data()

    assert said(output).startswith("Demo data: the demo owner was gone: recreated")
    assert me(output)["email"] == DEMO_EMAIL
    assert Company.objects.count() == 1 and MeetingType.objects.count() == 1


def test_demo_data_uses_a_remaining_owner_when_the_demo_email_is_taken():
    run_demo_data()
    demo = demo_owner()
    other = user_create(company=demo.company, actor=demo, email="grace@example.test",
                        role=Role.OWNER)
    user_remove(membership=demo, actor=other)
    user_create(company=other.company, actor=other, email=DEMO_EMAIL)

    output = run_demo_data()

    assert said(output).startswith(
        "Demo data: the demo owner was gone: using the owner grace@example.test;")
    assert me(output)["email"] == "grace@example.test"


def test_demo_data_recreates_a_deleted_meeting_type():
    run_demo_data()
    meeting_type_delete(meeting_type=MeetingType.objects.get())

    output = run_demo_data()

    assert said(output) == ("Demo data: found the demo company and its owner "
                            "demo@termin.local; recreated the Intro call.")
    assert me(output)["email"] == DEMO_EMAIL
    assert MeetingType.objects.get().slug == "intro-call"
    assert f"meetingTypeId={MeetingType.objects.get().uuid}" in output
