"""The quick start's demo data lets a newcomer list slots at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from scheduling.models import AvailabilitySchedule, MeetingType

pytestmark = pytest.mark.django_db


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
