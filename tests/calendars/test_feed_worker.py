"""Feed syncs in a real Celery worker: they run on their own queue, so an email
queued while a slow feed is being read is sent meanwhile, and a sync that hits its
soft time limit records the error on its connection. Also: every task has time
limits, and feed syncs are routed to their queue."""

import datetime as dt
import time

import pytest
from django.conf import settings

import crm.tasks
import webhooks.tasks
from config.celery import app as celery_app
from scheduling import tasks
from scheduling.models import CalendarConnection
from scheduling.services import calendars
from scheduling.services.calendars import connection_create
from tests.calendars.drip import drip_server
from tests.notifications.conftest import book, parse_file_messages
from tests.scheduling.conftest import make_meeting_type, make_schedule, monday_after
from tests.support.processes import celery_worker

SOFT_LIMIT = 6


def wait_until(predicate, timeout: float = 60.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)
    return found


@pytest.fixture
def queued_for_real():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def short_sync_limit(monkeypatch):
    """The sync's soft limit, in this process too: the sender of a task puts the
    task's time limits in its message, and the worker keeps to those."""
    sync = tasks.sync_calendar_connection
    monkeypatch.setattr(sync, "soft_time_limit", SOFT_LIMIT)
    monkeypatch.setattr(sync, "time_limit", 30)
    monkeypatch.setattr(sync, "_exec_options", None)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_email_is_sent_while_a_slow_feed_is_read_and_the_sync_records_its_time_limit(
        queued_for_real, short_sync_limit, allow_loopback, owner, tmp_path):
    make_schedule(owner, timezone="UTC", is_default=True)
    meeting_type = make_meeting_type(owner, durations=[30], default_duration=30)
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(outbox), "WEBHOOK_ALLOW_PRIVATE": "1",
           "CALENDAR_SYNC_SOFT_TIME_LIMIT": str(SOFT_LIMIT), "CALENDAR_SYNC_TIME_LIMIT": "30"}
    with drip_server() as drip, celery_worker(**env):
        connection = connection_create(company=owner.company, user=owner.user, url=drip.url)
        drip.wait_for_request()  # a worker process is reading the feed, byte by byte
        queued = time.monotonic()
        book(meeting_type, dt.datetime.combine(monday_after(7), dt.time(10), dt.UTC))
        wait_until(lambda: len(parse_file_messages(outbox)) >= 2, what="the emails")
        sent_after = time.monotonic() - queued
        assert drip.open_connections == 1  # the feed is still being read
        assert CalendarConnection.objects.get(pk=connection.pk).last_error == ""

        stored = wait_until(lambda: CalendarConnection.objects.filter(
            pk=connection.pk).exclude(last_error="").first(), what="the sync's error")
    assert sent_after < SOFT_LIMIT
    assert stored.last_error == f"The calendar took longer than {SOFT_LIMIT} seconds to read"
    assert stored.last_error_at is not None and stored.last_synced_at is None


def test_every_task_has_soft_and_hard_time_limits():
    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    # A task still running when Redis re-delivers its message would run twice.
    redelivered_after = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    assert redelivered_after is None or redelivered_after > settings.CELERY_TASK_TIME_LIMIT
    conf = celery_app.conf
    ours = [task for module in (tasks, webhooks.tasks, crm.tasks)
            for task in vars(module).values() if isinstance(task, celery_app.Task)]
    assert len(ours) >= 10
    for task in ours:
        soft = task.soft_time_limit or conf.task_soft_time_limit
        hard = task.time_limit or conf.task_time_limit
        assert soft and hard and soft < hard, task.name


def test_feed_syncs_have_tighter_limits_and_their_own_queue():
    sync = tasks.sync_calendar_connection
    assert sync.soft_time_limit == settings.CALENDAR_SYNC_SOFT_TIME_LIMIT
    assert sync.time_limit == settings.CALENDAR_SYNC_TIME_LIMIT
    assert sync.soft_time_limit < settings.CELERY_TASK_SOFT_TIME_LIMIT
    # The download's deadline comes well before the soft limit.
    assert sync.soft_time_limit > calendars.TOTAL_SECONDS

    def queue(name: str) -> str:
        return celery_app.amqp.router.route({}, name)["queue"].name

    assert queue("scheduling.tasks.sync_calendar_connection") == "feeds"
    assert queue("scheduling.tasks.sync_calendar_connections") == "feeds"
    assert queue("scheduling.tasks.send_appointment_emails") == "celery"
    assert queue("scheduling.tasks.send_due_reminders") == "celery"
    assert queue("webhooks.tasks.deliver") == "celery"


@pytest.mark.django_db
def test_a_sync_that_hits_its_soft_time_limit_records_it_on_the_connection(
        owner, monkeypatch, allow_loopback):
    def stuck(*args, **kwargs):
        from celery.exceptions import SoftTimeLimitExceeded

        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(calendars, "fetch", stuck)
    connection = CalendarConnection.objects.create(
        company=owner.company, user=owner.user, url="http://127.0.0.1:9/cal.ics")

    tasks.sync_calendar_connection(connection.pk)

    connection.refresh_from_db()
    limit = settings.CALENDAR_SYNC_SOFT_TIME_LIMIT
    assert connection.last_error == f"The calendar took longer than {limit} seconds to read"
    assert connection.last_error_at is not None
