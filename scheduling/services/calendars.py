"""Calendar connections: external iCalendar feeds whose events are a user's busy
time, and every user's secret feed of their own appointments.

Reading a feed (``connection_sync``): one conditional GET (``If-None-Match`` /
``If-Modified-Since``) through the webhooks' guarded HTTP client, so the SSRF
guard judges every address actually connected to, redirects included (each hop
opens a guarded connection; at most ``MAX_REDIRECTS``). Bodies over
``MAX_BYTES`` (after decompression) fail, and so does a fetch not done within
``TOTAL_SECONDS`` however slowly the bytes arrive (``http.deadline``). Reading the
file has its bounds too (``calendar_feeds.MAX_WORK`` and the like), and the task
its time limits (``CALENDAR_SYNC_SOFT_TIME_LIMIT``: the error is recorded).
The busy intervals of ``[now - DAYS_BEHIND, now + DAYS_AHEAD)`` replace the
connection's ``BusyTime`` rows in one transaction. Any failure (unreachable,
HTTP error, timeout, not iCalendar) keeps the last good busy times and records
the error; a 304 keeps them and counts as a sync.

``settings.WEBHOOK_ALLOW_PRIVATE`` governs feeds too: one setting for every
address the server fetches on a user's behalf.
"""

import datetime as dt
import logging
import secrets
import threading
import time
from dataclasses import dataclass

import requests
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from .. import calendar_feeds
from ..choices import BusySource
from ..core import access, http, urlguard
from ..core.errors import DomainError, Unauthenticated
from ..models import (
    ACTIVE_STATUSES,
    PENDING_STATUSES,
    Appointment,
    AvailabilitySchedule,
    BusyTime,
    CalendarConnection,
    CalendarConnectionType,
    CalendarFeed,
    Company,
    Membership,
    User,
)

DAYS_BEHIND = 1
DAYS_AHEAD = 180
MAX_BYTES = 5 * 1024 * 1024
CONNECT_TIMEOUT, READ_TIMEOUT, TOTAL_SECONDS = 5, 20, 30
MAX_REDIRECTS = 5
# A feed unchanged for this long is read whole anyway, so the window moves on.
REFETCH_AFTER = dt.timedelta(hours=24)
MAX_CONNECTIONS_PER_USER = 20
ERROR_CHARS = 500
# How far back the appointments feed reaches.
FEED_HISTORY = dt.timedelta(days=90)
_FEED_SALT = "termin.calendar-feed"

logger = logging.getLogger(__name__)


class FeedError(Exception):
    """Fetching a feed failed; the message is what the connection shows."""


# --- connections ---------------------------------------------------------------


def connection_create(*, company: Company, user: User, url: str, name: str = "",
                      type: str = CalendarConnectionType.ICS) -> CalendarConnection:
    """Subscribe ``user`` to the feed at ``url``; its first sync is queued on commit."""
    if type not in CalendarConnectionType.values:
        raise DomainError(f"Unknown calendar connection type: {type}. Use one of: "
                          f"{', '.join(CalendarConnectionType.values)}", field="type")
    url = (url or "").strip()
    urlguard.check_url(url)  # the address guard of every outbound request
    check_connection_limit(company=company, user=user)
    connection = CalendarConnection.objects.create(
        company=company, user=user, type=type, url=url, name=(name or "").strip()[:200])
    _queue_sync(connection.pk)
    return connection


def check_connection_limit(*, company: Company, user: User) -> None:
    """DomainError when the user already has ``MAX_CONNECTIONS_PER_USER`` in ``company``."""
    if (CalendarConnection.objects.filter(company=company, user=user).count()
            >= MAX_CONNECTIONS_PER_USER):
        raise DomainError(f"A user can connect at most {MAX_CONNECTIONS_PER_USER} calendars",
                          field="url")


def connection_delete(*, connection: CalendarConnection) -> None:
    """Disconnect: the connection's busy times go with it (cascade)."""
    connection.delete()


def connection_sync_later(*, connection: CalendarConnection) -> None:
    _queue_sync(connection.pk)


def connections_sync_all() -> int:
    """Queue a sync of every connection (Celery beat); the number queued."""
    ids = list(CalendarConnection.objects.values_list("pk", flat=True))
    for pk in ids:
        _queue_sync(pk)
    return len(ids)


def _queue_sync(connection_id: int) -> None:
    from ..tasks import sync_calendar_connection

    transaction.on_commit(lambda: sync_calendar_connection.delay(connection_id))


# --- sync ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: not modified (304)
    etag: str = ""
    last_modified: str = ""


def connection_sync(*, connection_id: int, now: dt.datetime | None = None
                    ) -> CalendarConnection | None:
    """Fetch and read the connection's feed, and store its busy times.

    Never raises for a feed's fault: the error is recorded on the connection and
    its last good busy times stay. None when the connection no longer exists.
    """
    connection = CalendarConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None
    now = now or timezone.now()
    if connection.type != CalendarConnectionType.ICS:
        return connection  # a CalDAV account is read by services/caldav.py
    try:
        fetched = fetch(connection, conditional=_may_be_conditional(connection, now))
        if fetched.body is None:
            return _record(connection, now, last_synced_at=now, last_error="",
                           last_error_at=None)
        start, end = now - dt.timedelta(days=DAYS_BEHIND), now + dt.timedelta(days=DAYS_AHEAD)
        intervals = calendar_feeds.busy_intervals(
            fetched.body, start=start, end=end, zone=busy_zone(connection))
    except (FeedError, calendar_feeds.InvalidCalendar) as exc:
        return _record(connection, now, last_error=str(exc)[:ERROR_CHARS], last_error_at=now)
    except SoftTimeLimitExceeded:
        raise  # the task records it (connection_sync_timed_out)
    except Exception as exc:  # noqa: BLE001 - a feed must never crash its sync
        logger.exception("Calendar connection %s could not be read", connection.pk)
        return _record(connection, now, last_error=f"The calendar could not be read: "
                       f"{type(exc).__name__}", last_error_at=now)
    return _store(connection, intervals, fetched, now)


def connection_sync_timed_out(*, connection_id: int, seconds: float,
                              now: dt.datetime | None = None) -> None:
    """Record on the connection (if it still exists) that a sync ran out of its
    ``seconds`` (its task's soft time limit); its last good busy times stay."""
    now = now or timezone.now()
    CalendarConnection.objects.filter(pk=connection_id).update(
        last_error=f"The calendar took longer than {seconds:g} seconds to read",
        last_error_at=now)


def _may_be_conditional(connection: CalendarConnection, now: dt.datetime) -> bool:
    return connection.fetched_at is not None and now - connection.fetched_at < REFETCH_AFTER


def busy_zone(connection: CalendarConnection) -> str:
    """Where all-day and floating events are read: the zone of the user's default
    schedule in the connection's company, else the user's own zone."""
    return busy_zone_of(company_id=connection.company_id, user_id=connection.user_id)


def busy_zone_of(*, company_id: int, user_id: int) -> str:
    zone = (AvailabilitySchedule.objects
            .filter(company_id=company_id, user_id=user_id, is_default=True)
            .values_list("timezone", flat=True).first())
    return zone or User.objects.filter(pk=user_id).values_list(
        "timezone", flat=True).first() or "UTC"


def _record(connection: CalendarConnection, now: dt.datetime, **fields) -> CalendarConnection:
    """Update the status fields of a connection that may have been deleted meanwhile."""
    CalendarConnection.objects.filter(pk=connection.pk).update(**fields)
    for name, value in fields.items():
        setattr(connection, name, value)
    return connection


def _store(connection: CalendarConnection, intervals, fetched: Fetched,
           now: dt.datetime) -> CalendarConnection | None:
    """Replace the connection's busy times with ``intervals`` in one transaction, under
    the connection's row lock so two syncs of one feed never interleave."""
    label = (connection.name or "External calendar")[:200]
    with transaction.atomic():
        locked = CalendarConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            return None
        BusyTime.objects.filter(connection=locked).delete()
        BusyTime.objects.bulk_create(
            [BusyTime(user_id=locked.user_id, company_id=locked.company_id, connection=locked,
                      source=BusySource.CALENDAR,
                      start=begin, end=finish, label=label, created_at=now)
             for begin, finish in intervals],
            batch_size=1000,
        )
        locked.etag, locked.last_modified = fetched.etag[:500], fetched.last_modified[:100]
        locked.fetched_at = locked.last_synced_at = now
        locked.last_error, locked.last_error_at = "", None
        locked.busy_count = len(intervals)
        locked.save(update_fields=["etag", "last_modified", "fetched_at", "last_synced_at",
                                   "last_error", "last_error_at", "busy_count"])
    return locked


# --- fetching ------------------------------------------------------------------

_local = threading.local()


def _session() -> requests.Session:
    """This thread's guarded session (requests sessions are not thread-safe)."""
    if getattr(_local, "session", None) is None:
        _local.session = http.new_session()
        _local.session.max_redirects = MAX_REDIRECTS
    return _local.session


def fetch(connection: CalendarConnection, *, conditional: bool = True) -> Fetched:
    """GET the feed; ``Fetched(body=None)`` on 304. Raises FeedError, also when the
    whole answer has not arrived within ``TOTAL_SECONDS`` of the start."""
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "Termin calendar sync"}
    if conditional and connection.etag:
        headers["If-None-Match"] = connection.etag
    if conditional and connection.last_modified:
        headers["If-Modified-Since"] = connection.last_modified
    started = time.monotonic()
    try:
        with http.deadline(TOTAL_SECONDS):
            response = _session().get(connection.url, headers=headers, stream=True,
                                      timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
            with response:
                if response.status_code == 304:
                    return Fetched(None)
                if response.status_code != 200:
                    raise FeedError(f"The calendar answered HTTP {response.status_code}")
                body = _read_body(response)
                return Fetched(body, response.headers.get("ETag", ""),
                               response.headers.get("Last-Modified", ""))
    except urlguard.UnsafeUrl as exc:
        raise FeedError(exc.message) from exc
    except requests.RequestException as exc:
        raise _fetch_error(exc, time.monotonic() - started) from exc


def _fetch_error(exc: requests.RequestException, elapsed: float) -> FeedError:
    """What the connection shows for a GET that failed after ``elapsed`` seconds."""
    if elapsed >= TOTAL_SECONDS:  # the deadline (http.deadline) ended it
        return FeedError(f"The calendar took longer than {TOTAL_SECONDS:g} seconds to download")
    if isinstance(exc, requests.Timeout):
        return FeedError(f"The calendar did not answer within {READ_TIMEOUT:g} seconds")
    if isinstance(exc, requests.TooManyRedirects):
        return FeedError(f"The calendar redirected more than {MAX_REDIRECTS} times")
    return FeedError(f"The calendar could not be fetched: {type(exc).__name__}: {_cause(exc)}")


def _read_body(response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FeedError(f"The calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _cause(exc: BaseException) -> str:
    """The innermost reason (urllib3 wraps the guard's refusal and socket errors)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, urlguard.UnsafeUrl):
            return inner.message
        exc = inner
    return str(exc)


# --- the user's own feed -------------------------------------------------------


def feed_get(*, user: User, company: Company) -> CalendarFeed:
    """The user's appointments feed in ``company``, made on first use."""
    feed = CalendarFeed.objects.filter(user=user, company=company).first()
    if feed is not None:
        return feed
    feed, _ = CalendarFeed.objects.get_or_create(
        user=user, company=company, defaults={"nonce": secrets.token_urlsafe(24)})
    return feed


def feed_regenerate(*, user: User, company: Company, now: dt.datetime | None = None
                    ) -> CalendarFeed:
    """A new secret address for the user's feed in ``company``; the old one stops
    working at once."""
    now = now or timezone.now()
    feed = feed_get(user=user, company=company)
    feed.nonce, feed.regenerated_at = secrets.token_urlsafe(24), now
    feed.save(update_fields=["nonce", "regenerated_at"])
    return feed


def _signer() -> signing.Signer:
    return signing.Signer(salt=_FEED_SALT, sep=".")


def feed_token(feed: CalendarFeed) -> str:
    """The secret part of the feed's address: its nonce signed with the server's key,
    so neither the database alone nor the key alone yields a working address."""
    return _signer().sign(feed.nonce)


def feed_url(feed: CalendarFeed) -> str:
    return f"{settings.SITE_URL}/feeds/{feed_token(feed)}.ics"


def feed_from_token(token: str) -> CalendarFeed | None:
    """The feed ``token`` names while its user is an active member of its company
    (``access.member_access`` decides); None otherwise."""
    try:
        nonce = _signer().unsign(token)
    except signing.BadSignature:
        return None
    feed = CalendarFeed.objects.select_related("user", "company").filter(nonce=nonce).first()
    membership = feed and Membership.objects.select_related("user", "company").filter(
        company_id=feed.company_id, user_id=feed.user_id).first()
    if membership is None:
        return None
    try:
        access.member_access(membership=membership)
    except Unauthenticated:
        return None
    return feed


def feed_ics(*, feed: CalendarFeed, now: dt.datetime | None = None) -> bytes:
    """The feed's iCalendar file: the user's appointments in the feed's company that
    hold their time (confirmed, and provisional ones as TENTATIVE) from
    ``FEED_HISTORY`` ago on."""
    now = now or timezone.now()
    user = feed.user
    appointments = (
        Appointment.objects.filter(company_id=feed.company_id, host_rows__host=user,
                                   status__in=ACTIVE_STATUSES,
                                   end__gte=now - FEED_HISTORY)
        .prefetch_related("attendees").order_by("start", "pk").distinct()
    )
    events = [_feed_event(appointment) for appointment in appointments]
    return calendar_feeds.feed_calendar(name=f"Termin: {user.full_name or user.email}",
                                        events=events)


def host_summary(appointment: Appointment) -> str:
    """The title of an appointment in its host's own calendar: its ``icsTitle``, else
    the meeting type's title with the booker's name."""
    primary = next((a for a in appointment.attendees.all() if a.is_primary), None)
    who = (primary.full_name or primary.email or primary.phone) if primary else ""
    title = appointment.ics_title or appointment.meeting_type_title or "Appointment"
    return title if appointment.ics_title or not who else f"{title} with {who}"


def _feed_event(appointment: Appointment) -> calendar_feeds.FeedEvent:
    attendees = list(appointment.attendees.all())
    summary = host_summary(appointment)
    lines = [appointment.ics_description] if appointment.ics_description else []
    lines += [f"Attendee: {a.full_name} <{a.email}>".replace(" <>", "").strip()
              for a in attendees if a.email or a.full_name]
    if appointment.meeting_link:
        lines.append(f"Join: {appointment.meeting_link}")
    return calendar_feeds.FeedEvent(
        uid=f"{appointment.uuid}@termin", start=appointment.start, end=appointment.end,
        summary=summary, stamp=appointment.updated_at,
        tentative=appointment.status in PENDING_STATUSES, description="\n".join(lines),
        location=appointment.location, url=appointment.meeting_link,
    )
