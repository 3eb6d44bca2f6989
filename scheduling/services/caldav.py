"""CalDAV connections: a user's account on a CalDAV server (iCloud, Fastmail,
Nextcloud, ...), whose chosen calendars are their busy time and one of which
receives their bookings (the writes: ``services/caldav_writes.py``).

Connecting (``connection_create``) finds the account's calendars at once
(``caldav_client.discover``, within ``DISCOVERY_SECONDS``), so wrong credentials
or a wrong address are a 400 then and there. The username and password are
sealed (``scheduling/sealed.py``) and never shown again. Every calendar with
events counts as busy until the user says otherwise; the first one receives
bookings (``connection_update`` changes both).

Busy time is read live (``busy_refresh``): when slots are asked for, the hosts'
busy calendars are read for the range (a free-busy query where the server
answers one, else an event query) by one thread per connection, all within
``settings.CALDAV_READ_SECONDS``. What was read replaces the calendar's
``BusyTime`` rows in that range, which is what the slot engine reads; a read is
good for ``settings.CALDAV_CACHE_SECONDS``. A server that fails or is too slow
fails nothing: its last good busy time stays, the error shows on the connection
and its calendar, and it is not asked again for ``CALDAV_CACHE_SECONDS``. The
calendar that receives bookings is always read by event query, so that the
events Termin wrote for the host's own appointments (UID ``<uuid>@termin``) are
left out: the appointments themselves hold that time, and a cancelled one must
not. The periodic sync (``connection_sync``, as for feeds) finds new calendars
and reads ``[now - DAYS_BEHIND, now + DAYS_AHEAD)`` whole.
"""

import datetime as dt
import json
import logging
import re
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .. import caldav_client, calendar_feeds
from ..caldav_client import Account, CalDAVAuthError, CalDAVError, FoundCalendar
from ..choices import BusySource
from ..core import sealed, urlguard
from ..core.errors import DomainError
from ..models import (
    Appointment,
    BusyTime,
    CalDAVCalendar,
    CalendarConnection,
    CalendarConnectionType,
    Company,
    User,
)
from . import calendars

CALDAV = CalendarConnectionType.CALDAV
PURPOSE = "caldav-credentials"
DISCOVERY_SECONDS = 20
SYNC_SECONDS = 30
MAX_READERS = 8
ERROR_CHARS = calendars.ERROR_CHARS
_TERMIN_UID = re.compile(r"^UID:([0-9a-f-]{36})@termin\r?$", re.MULTILINE | re.IGNORECASE)

logger = logging.getLogger(__name__)


# --- connections -----------------------------------------------------------------------


def check_server_url(url: str) -> str:
    """``url`` when Termin may speak CalDAV to it: https (http only where private
    addresses are allowed, as in development), no credentials in it, and every
    address of its host public. DomainError on ``url`` otherwise."""
    url = (url or "").strip()
    urlguard.host_and_port(url)  # an http(s) URL with a host
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise DomainError("Send the username and password in their own fields, not in the "
                          "URL", field="url")
    if parts.scheme != "https" and not settings.WEBHOOK_ALLOW_PRIVATE:
        raise DomainError("A CalDAV server must be reached over https: the password would "
                          "travel in clear text", field="url")
    urlguard.check_url(url)  # the address guard of every outbound request
    return url


def _check_credentials(username: str, password: str) -> tuple[str, str]:
    username, password = (username or "").strip(), password or ""
    if not username or len(username) > 200:
        raise DomainError("Enter the account's username (at most 200 characters)",
                          field="username")
    if not password or len(password) > 500:
        raise DomainError("Enter the account's password, for example an app-specific "
                          "password (at most 500 characters)", field="password")
    return username, password


def connection_create(*, company: Company, user: User, url: str, username: str,
                      password: str, name: str = "") -> CalendarConnection:
    """Connect ``user``'s CalDAV account: its calendars are found now (DomainError
    naming ``url`` or ``password`` when that fails), its busy time is read once
    this transaction commits."""
    url = check_server_url(url)
    username, password = _check_credentials(username, password)
    calendars.check_connection_limit(company=company, user=user)
    found = _discover(Account(url, username, password))
    with transaction.atomic():
        connection = CalendarConnection.objects.create(
            company=company, user=user, type=CALDAV, url=url,
            name=(name or "").strip()[:200] or f"CalDAV: {urlsplit(url).hostname}")
        _store_credentials(connection, username, password)
        _calendars_merge(connection, found)
    calendars.connection_sync_later(connection=connection)
    return connection


def _discover(account: Account) -> list[FoundCalendar]:
    try:
        found = caldav_client.discover(account, seconds=DISCOVERY_SECONDS)
    except CalDAVAuthError as exc:
        raise DomainError(str(exc), field="password") from exc
    except CalDAVError as exc:
        raise DomainError(str(exc), field="url") from exc
    if not found:
        raise DomainError("The CalDAV server shows no calendar with events for this account",
                          field="url")
    return found


def _store_credentials(connection: CalendarConnection, username: str, password: str) -> None:
    plain = json.dumps({"username": username, "password": password}).encode()
    connection.credentials = sealed.seal(plain, purpose=PURPOSE, bound_to=str(connection.uuid))
    connection.save(update_fields=["credentials"])


def account_of(connection: CalendarConnection) -> Account:
    """The connection's server and credentials; sealed.Unreadable when the server's
    secret key changed since they were stored."""
    opened = json.loads(sealed.unseal(connection.credentials, purpose=PURPOSE,
                                      bound_to=str(connection.uuid)))
    return Account(connection.url, opened["username"], opened["password"])


def _calendars_merge(connection: CalendarConnection, found: list[FoundCalendar]) -> None:
    """Make the connection's calendars those ``found``: known ones keep their choices
    (and take the server's name), new ones count as busy, vanished ones go with
    their busy time. The first calendar receives bookings when none does."""
    known = {calendar.url: calendar for calendar in connection.caldav_calendars.all()}
    urls = [calendar.url for calendar in found]
    connection.caldav_calendars.exclude(url__in=urls).delete()
    for item in found:
        if item.url in known:
            if known[item.url].name != item.name:
                CalDAVCalendar.objects.filter(pk=known[item.url].pk).update(name=item.name)
        else:
            CalDAVCalendar.objects.create(connection=connection, url=item.url, name=item.name)
    if not connection.caldav_calendars.filter(receives_bookings=True).exists():
        first = connection.caldav_calendars.order_by("pk").first()
        if first is not None:
            CalDAVCalendar.objects.filter(pk=first.pk).update(receives_bookings=True)


UNCHANGED = object()


def connection_update(*, connection: CalendarConnection, name: str | None = None,
                      username: str | None = None, password: str | None = None,
                      busy_calendar_ids: list | None = None, booking_calendar_id=UNCHANGED
                      ) -> CalendarConnection:
    """Rename a connection; for CalDAV also pick the calendars that count as busy
    (``busy_calendar_ids``, the others stop counting and their busy time goes),
    the one that receives bookings (``booking_calendar_id``, None for none), or
    give new credentials (the calendars are found again with them)."""
    sent = {"username": username is not None, "password": password is not None,
            "busyCalendarIds": busy_calendar_ids is not None,
            "bookingCalendarId": booking_calendar_id is not UNCHANGED}
    for key, given in sent.items():
        if given and connection.type != CALDAV:
            raise DomainError("Only CalDAV connections have this", field=key)
    found = _new_credentials(connection, username, password)
    with transaction.atomic():
        if name is not None:
            connection.name = name.strip()[:200] or connection.name
            connection.save(update_fields=["name"])
        if found is not None:
            _store_credentials(connection, *found[0])
            _calendars_merge(connection, found[1])
        if busy_calendar_ids is not None:
            _choose_busy(connection, busy_calendar_ids)
        if booking_calendar_id is not UNCHANGED:
            _choose_booking_calendar(connection, booking_calendar_id)
    if found is not None or busy_calendar_ids is not None:
        forget_reads(connection.pk)
        calendars.connection_sync_later(connection=connection)
    return connection


def _new_credentials(connection: CalendarConnection, username: str | None,
                     password: str | None):
    """``((username, password), calendars found)`` when new credentials were sent."""
    if username is None and password is None:
        return None
    if username is None or password is None:
        try:
            current = account_of(connection)
        except sealed.Unreadable as exc:
            raise DomainError("Send both the username and the password: the stored ones "
                              "can no longer be read", field="password") from exc
        username = current.username if username is None else username
        password = current.password if password is None else password
    username, password = _check_credentials(username, password)
    return (username, password), _discover(Account(connection.url, username, password))


def _calendar_pks(connection: CalendarConnection, ids, field_name: str) -> list[int]:
    by_uuid = {str(c.uuid): c.pk for c in connection.caldav_calendars.all()}
    unknown = [str(i) for i in ids if str(i) not in by_uuid]
    if unknown:
        raise DomainError(f"Not a calendar of this connection: {', '.join(unknown)}",
                          field=field_name)
    return [by_uuid[str(i)] for i in ids]


def _choose_busy(connection: CalendarConnection, ids: list) -> None:
    chosen = _calendar_pks(connection, ids, "busyCalendarIds")
    connection.caldav_calendars.filter(pk__in=chosen).update(busy=True)
    connection.caldav_calendars.exclude(pk__in=chosen).update(busy=False, busy_count=0)
    BusyTime.objects.filter(caldav_calendar__connection=connection).exclude(
        caldav_calendar_id__in=chosen).delete()


def _choose_booking_calendar(connection: CalendarConnection, calendar_id) -> None:
    """One calendar at most receives bookings (a partial unique index): clear, then set."""
    chosen = [] if calendar_id is None else _calendar_pks(connection, [calendar_id],
                                                          "bookingCalendarId")
    connection.caldav_calendars.filter(receives_bookings=True).update(receives_bookings=False)
    connection.caldav_calendars.filter(pk__in=chosen).update(receives_bookings=True)


# --- reading busy time -------------------------------------------------------------------


@dataclass
class _Job:
    """One connection's read, in plain values (its thread touches no database)."""

    connection_id: int
    account: Account
    calendars: list[tuple[int, str, bool]]  # (calendar pk, url, by free-busy query)
    start: dt.datetime
    end: dt.datetime
    seconds: float


@dataclass
class _Read:
    """What one calendar gave: busy intervals, event objects still to read, or an error."""

    calendar_id: int
    intervals: list = field(default_factory=list)
    objects: list[str] | None = None
    free_busy: bool | None = None
    error: str = ""
    refused: bool = False  # the server refused the credentials: read no further


def busy_refresh(*, host_ids, company_id: int, start: dt.datetime, end: dt.datetime,
                 force: bool = False, seconds: float | None = None,
                 now: dt.datetime | None = None) -> None:
    """Bring the stored busy time of the hosts' busy CalDAV calendars in ``company_id``
    up to date for ``[start, end)`` (cut to whole UTC days from today), reading each
    connection not read for it within ``CALDAV_CACHE_SECONDS`` (``force``: each one
    not failing) in ``seconds`` at most. Never raises for a server's fault."""
    now = now or timezone.now()
    window = _window(start, end, now)
    if window is None:
        return
    found = list(CalDAVCalendar.objects.filter(
        busy=True, connection__type=CALDAV, connection__company_id=company_id,
        connection__user_id__in=list(host_ids)).select_related("connection"))
    if not found:
        return
    jobs = _jobs(found, window, now, force=force,
                 seconds=seconds or settings.CALDAV_READ_SECONDS)
    if jobs:
        _read_and_store(jobs, now)


def busy_recheck(*, host_ids, company_id: int, start: dt.datetime, end: dt.datetime,
                 now: dt.datetime | None = None) -> None:
    """Read the hosts' busy calendars again for a time being booked, whatever was read
    before (``busy_refresh`` with ``force``). Call while holding the hosts' locks,
    before the booking's check of their busy time."""
    busy_refresh(host_ids=host_ids, company_id=company_id, start=start, end=end, force=True,
                 now=now)


def _window(start: dt.datetime, end: dt.datetime, now: dt.datetime):
    """``[start, end)`` cut to what can still be booked, widened to whole UTC days
    (so nearby ranges share a read); None when nothing is left."""
    first = max(start, now - dt.timedelta(hours=1))
    last = min(end, now + dt.timedelta(days=calendars.DAYS_AHEAD))
    if last <= first:
        return None
    first = first.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    midnight = last.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return first, midnight if midnight == last else midnight + dt.timedelta(days=1)


def _jobs(found: list[CalDAVCalendar], window, now: dt.datetime, *, force: bool,
          seconds: float) -> list[_Job]:
    grouped: dict[int, list[CalDAVCalendar]] = defaultdict(list)
    for calendar in found:
        grouped[calendar.connection_id].append(calendar)
    jobs = []
    for connection_id, members in grouped.items():
        connection = members[0].connection
        if _failing(connection_id) or (not force and not _claim(connection_id, window, now)):
            continue
        try:
            account = account_of(connection)
        except sealed.Unreadable as exc:
            _record_connection(connection_id, now, error=str(exc))
            continue
        jobs.append(_Job(connection_id, account,
                         [(c.pk, c.url, c.free_busy is not False and not c.receives_bookings)
                          for c in members], *window, seconds))
    return jobs


def _read_and_store(jobs: list[_Job], now: dt.datetime) -> None:
    """Read the jobs' calendars and store what they gave. The budget covers reading
    the events as well as fetching them: a calendar whose events are still unread
    when it is spent counts as not answering (its last good busy time stays)."""
    ends = time.monotonic() + max(job.seconds for job in jobs)
    reads = _run(jobs)
    users = {c.pk: (c.user_id, c.company_id) for c in CalendarConnection.objects.filter(
        pk__in=[job.connection_id for job in jobs])}
    for job in jobs:
        if job.connection_id not in users:
            continue  # disconnected meanwhile
        user_id, company_id = users[job.connection_id]
        zone = calendars.busy_zone_of(company_id=company_id, user_id=user_id)
        results = [_finish(read, job, user_id, zone, ends) for read in reads[job.connection_id]]
        _store(job, results, user_id, company_id, now)


def _run(jobs: list[_Job]) -> dict[int, list[_Read]]:
    """Each job's reads: inline for one, in threads for more, within its seconds."""
    if len(jobs) == 1:
        return {jobs[0].connection_id: _read(jobs[0])}
    seconds = max(job.seconds for job in jobs)
    pool = ThreadPoolExecutor(max_workers=min(len(jobs), MAX_READERS),
                              thread_name_prefix="caldav-read")
    futures = {pool.submit(_read, job): job for job in jobs}
    done, _ = wait(futures, timeout=seconds + 0.5)
    pool.shutdown(wait=False, cancel_futures=True)  # late ones end by their own deadline
    late = f"The CalDAV server did not answer within {seconds:g} seconds"
    return {job.connection_id: future.result() if future in done
            else [_Read(pk, error=late) for pk, _, _ in job.calendars]
            for future, job in futures.items()}


def _read(job: _Job) -> list[_Read]:
    """Read the job's calendars over one session (runs in a worker thread): within
    ``job.seconds`` in all, and no further once the server refused the credentials."""
    reads: list[_Read] = []
    try:
        with caldav_client.connected(job.account, seconds=job.seconds) as client:
            for pk, url, by_free_busy in job.calendars:
                reads.append(_read_calendar(client, pk, url, by_free_busy, job))
                if reads[-1].refused:
                    break
    except CalDAVError as exc:
        message = str(exc)
        reads += [_Read(pk, error=message) for pk, _, _ in job.calendars[len(reads):]]
    except Exception as exc:  # noqa: BLE001 - a server must never fail the slots
        logger.exception("CalDAV connection %s could not be read", job.connection_id)
        reads += [_Read(pk, error=f"The calendar could not be read: {type(exc).__name__}")
                  for pk, _, _ in job.calendars[len(reads):]]
    message = next((read.error for read in reads if read.refused), "")
    return reads + [_Read(pk, error=message) for pk, _, _ in job.calendars[len(reads):]]


def _read_calendar(client, pk: int, url: str, by_free_busy: bool, job: _Job) -> _Read:
    started = time.monotonic()
    try:
        with caldav_client.translated_errors(started, job.seconds):
            if by_free_busy:
                try:
                    return _Read(pk, intervals=caldav_client.free_busy(
                        client, url, job.start, job.end), free_busy=True)
                except caldav_client.FreeBusyUnsupported:
                    return _Read(pk, objects=caldav_client.event_objects(
                        client, url, job.start, job.end), free_busy=False)
            return _Read(pk, objects=caldav_client.event_objects(client, url, job.start,
                                                                 job.end))
    except CalDAVAuthError as exc:
        return _Read(pk, error=str(exc), refused=True)
    except CalDAVError as exc:
        return _Read(pk, error=str(exc))


def _finish(read: _Read, job: _Job, user_id: int, zone: str, ends: float) -> _Read:
    """Turn a calendar's event objects into busy intervals, leaving out the events of
    the host's own Termin appointments; an error once the clock passed ``ends``."""
    if read.error or read.objects is None:
        return read
    if time.monotonic() > ends:
        read.error = f"The CalDAV server did not answer within {job.seconds:g} seconds"
        return read
    try:
        calendar = _combined(_without_termin_events(read.objects, user_id))
        read.intervals = calendar_feeds.calendar_busy(
            calendar, start=job.start, end=job.end, zone=zone)
    except calendar_feeds.InvalidCalendar as exc:
        read.error = str(exc)[:ERROR_CHARS]
    return read


def _without_termin_events(objects: list[str], user_id: int) -> list[str]:
    uids = {match: text for text in objects for match in _TERMIN_UID.findall(text)}
    if not uids:
        return objects
    own = {str(value) for value in Appointment.objects.filter(
        uuid__in=list(uids), host_rows__host_id=user_id).values_list("uuid", flat=True)}
    return [text for text in objects
            if not any(uid.lower() in own for uid in _TERMIN_UID.findall(text))]


def _combined(objects: list[str]) -> icalendar.Calendar:
    """One calendar holding every object's events and time zones (each zone once)."""
    combined, zones = icalendar.Calendar(), set()
    for text in objects:
        for component in calendar_feeds.parse(text.encode()).subcomponents:
            if component.name == "VTIMEZONE":
                if str(component.get("TZID")) in zones:
                    continue
                zones.add(str(component.get("TZID")))
            combined.add_component(component)
    return combined


# --- storing what was read ---------------------------------------------------------------


def _store(job: _Job, reads: list[_Read], user_id: int, company_id: int,
           now: dt.datetime) -> None:
    """Replace each calendar's busy time in the window with what was read; record
    errors. The read counts as fresh once this transaction commits."""
    names = dict(CalDAVCalendar.objects.filter(pk__in=[r.calendar_id for r in reads])
                 .values_list("pk", "name"))
    with transaction.atomic():
        for read in reads:
            if read.calendar_id not in names:
                continue
            if read.error:
                CalDAVCalendar.objects.filter(pk=read.calendar_id).update(
                    last_error=read.error[:ERROR_CHARS], last_error_at=now)
            else:
                _replace(read, job, user_id, company_id, names[read.calendar_id], now)
        errors = [read.error for read in reads if read.error]
        _record_connection(job.connection_id, now, error=errors[0] if errors else "",
                           synced=len(errors) < len(reads))
    # Only what committed is fresh: a booking that re-read inside its transaction and
    # then failed rolled the rows back, so earlier reads of this time are stale now.
    cache.delete(_reading_key(job.connection_id))
    _forget_read(job.connection_id, job.start, job.end, now)
    if errors:
        cache.set(_failing_key(job.connection_id), 1, settings.CALDAV_CACHE_SECONDS)
    else:
        transaction.on_commit(lambda: _remember_read(job.connection_id, job.start, job.end,
                                                     now))


def _replace(read: _Read, job: _Job, user_id: int, company_id: int, name: str,
             now: dt.datetime) -> None:
    rows = BusyTime.objects.filter(caldav_calendar_id=read.calendar_id, start__lt=job.end,
                                   end__gt=job.start)
    kept = [piece for begin, finish in rows.values_list("start", "end")
            for piece in ((begin, min(finish, job.start)), (max(begin, job.end), finish))
            if piece[1] > piece[0]]
    rows.delete()
    BusyTime.objects.bulk_create(
        [BusyTime(user_id=user_id, company_id=company_id, connection_id=job.connection_id,
                  caldav_calendar_id=read.calendar_id, source=BusySource.CALENDAR,
                  start=begin, end=finish, label=(name or "CalDAV calendar")[:200],
                  created_at=now)
         for begin, finish in [*read.intervals, *kept]], batch_size=1000)
    fields = {"last_synced_at": now, "last_error": "", "last_error_at": None,
              "busy_count": BusyTime.objects.filter(caldav_calendar_id=read.calendar_id).count()}
    if read.free_busy is not None:
        fields["free_busy"] = read.free_busy
    CalDAVCalendar.objects.filter(pk=read.calendar_id).update(**fields)


def _record_connection(connection_id: int, now: dt.datetime, *, error: str = "",
                       synced: bool = False) -> None:
    fields = {"last_error": error[:ERROR_CHARS], "last_error_at": now if error else None,
              "busy_count": BusyTime.objects.filter(connection_id=connection_id).count()}
    if synced:
        fields["last_synced_at"] = now
    CalendarConnection.objects.filter(pk=connection_id).update(**fields)


# --- how fresh a read is (the cache) -------------------------------------------------------


def _reads_key(connection_id: int) -> str:
    return f"termin:caldav:reads:{connection_id}"


def _failing_key(connection_id: int) -> str:
    return f"termin:caldav:failing:{connection_id}"


def _reading_key(connection_id: int) -> str:
    return f"termin:caldav:reading:{connection_id}"


def _failing(connection_id: int) -> bool:
    """Whether the connection's server failed within ``CALDAV_CACHE_SECONDS``."""
    return bool(cache.get(_failing_key(connection_id)))


def _claim(connection_id: int, window, now: dt.datetime) -> bool:
    """Whether to read the connection now: not when a read within
    ``CALDAV_CACHE_SECONDS`` covered ``window``, nor while another request reads it."""
    start, end = window
    for first, last, _ in _recent_reads(connection_id, now):
        if first <= start.timestamp() and end.timestamp() <= last:
            return False
    return cache.add(_reading_key(connection_id), 1, settings.CALDAV_READ_SECONDS + 1)


def _remember_read(connection_id: int, start: dt.datetime, end: dt.datetime,
                   now: dt.datetime) -> None:
    reads = _recent_reads(connection_id, now)[-7:]
    reads.append((start.timestamp(), end.timestamp(), now.timestamp()))
    cache.set(_reads_key(connection_id), reads, settings.CALDAV_CACHE_SECONDS)


def _forget_read(connection_id: int, start: dt.datetime, end: dt.datetime,
                 now: dt.datetime) -> None:
    """Drop the remembered reads that overlap ``[start, end)``."""
    reads = _recent_reads(connection_id, now)
    kept = [read for read in reads
            if read[1] <= start.timestamp() or end.timestamp() <= read[0]]
    if len(kept) != len(reads):
        cache.set(_reads_key(connection_id), kept, settings.CALDAV_CACHE_SECONDS)


def _recent_reads(connection_id: int, now: dt.datetime) -> list:
    horizon = now.timestamp() - settings.CALDAV_CACHE_SECONDS
    return [read for read in cache.get(_reads_key(connection_id)) or [] if read[2] > horizon]


def forget_reads(connection_id: int) -> None:
    """The next slots request reads the connection again (its calendars changed)."""
    cache.delete_many([_reads_key(connection_id), _failing_key(connection_id),
                       _reading_key(connection_id)])


# --- the periodic sync -------------------------------------------------------------------


def any_connection_sync(*, connection_id: int, now: dt.datetime | None = None
                        ) -> CalendarConnection | None:
    """Sync a calendar connection of either kind (the periodic task's one call): a
    CalDAV account here, a feed by ``calendars.connection_sync``. None when the
    connection no longer exists."""
    connection = CalendarConnection.objects.filter(pk=connection_id).first()
    if connection is None or connection.type != CALDAV:
        return calendars.connection_sync(connection_id=connection_id, now=now)
    return connection_sync(connection=connection, now=now)


def connection_sync(*, connection: CalendarConnection, now: dt.datetime | None = None
                    ) -> CalendarConnection:
    """Find the account's calendars again and read every busy one over the whole
    window (``calendars.DAYS_BEHIND`` to ``DAYS_AHEAD``). Errors are recorded."""
    now = now or timezone.now()
    try:
        account = account_of(connection)
        found = caldav_client.discover(account, seconds=SYNC_SECONDS)
    except (sealed.Unreadable, CalDAVError) as exc:
        _record_connection(connection.pk, now, error=str(exc))
        return CalendarConnection.objects.filter(pk=connection.pk).first()
    with transaction.atomic():
        if found:
            _calendars_merge(connection, found)
    busy = [(c.pk, c.url, c.free_busy is not False and not c.receives_bookings)
            for c in connection.caldav_calendars.filter(busy=True)]
    if busy:
        start = now - dt.timedelta(days=calendars.DAYS_BEHIND)
        job = _Job(connection.pk, account, busy, start,
                   now + dt.timedelta(days=calendars.DAYS_AHEAD), SYNC_SECONDS)
        _read_and_store([job], now)
    else:
        _record_connection(connection.pk, now, synced=True)
    return CalendarConnection.objects.filter(pk=connection.pk).first()
