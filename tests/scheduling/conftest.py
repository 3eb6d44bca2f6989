"""Helpers for the scheduling tests: schedules and meeting types made through
the same services the API uses."""

import datetime as dt

import pytest

from scheduling.models import Membership
from scheduling.services.meeting_types import meeting_type_create
from scheduling.services.schedules import schedule_create

WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def nine_to_five(days=WORKDAYS, start="09:00", end="17:00") -> dict:
    return {day: [{"start": start, "end": end}] for day in days}


def make_schedule(membership: Membership, *, timezone="Europe/Berlin", weekly=None,
                  overrides=None, **kwargs):
    return schedule_create(
        company=membership.company, user=membership.user, timezone_name=timezone,
        weekly=nine_to_five() if weekly is None else weekly, overrides=overrides or [],
        **kwargs,
    )


def make_meeting_type(owner: Membership, *, hosts=None, title="Intro call", **fields):
    """A meeting type created by ``owner`` (an admin or owner) for ``hosts``."""
    host_ids = [str(m.user.uuid) for m in (hosts or [owner])]
    if "queue_id" in fields:
        host_ids = None
    return meeting_type_create(
        company=owner.company, actor=owner, title=title, host_ids=host_ids, **fields
    )


def monday_after(days: int = 7) -> dt.date:
    """A Monday at least ``days`` days from today."""
    day = dt.date.today() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


@pytest.fixture
def day() -> dt.date:
    """A Monday at least a week away: inside every meeting type's horizon, past any
    minimum notice."""
    return monday_after(7)
