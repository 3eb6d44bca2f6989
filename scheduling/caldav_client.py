"""CalDAV on plain values (no ORM): finding an account's calendars, reading their busy
time, writing and deleting events, with the ``caldav`` library.

Every request goes through ``BoundedSession``, which holds the library to the
rules of the feed connections and one more:

* the guarded HTTP client (``scheduling/core/http.py``): each address connected to is judged
  by the address guard when the connection opens (DNS rebinding included), and
  no proxy from the environment is used;
* one origin: the scheme, host and port of the URL the user gave (a move from
  http to https on the same host aside). A redirect, a calendar home or an event
  anywhere else is refused with a ``CalDAVError`` before any request, so the
  account's password goes to its own host and nowhere else;
* at most ``MAX_REDIRECTS`` redirects, at most ``MAX_BYTES`` per answer, a connect
  and read timeout per request, and ``http.deadline`` around each operation, so
  an operation ends by its deadline however slowly a server answers.

The ``caldav`` library 1.x speaks through ``requests``, which is what lets this
module hand it the guarded session; its 2.x and later releases need ``niquests``,
whose ``urllib3-future`` takes the place of urllib3 in the environment, and the
guard's connection classes (and every deadline) stop applying.
"""

import datetime as dt
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

import caldav
import icalendar
import requests
from caldav.elements import cdav, dav
from caldav.lib import error as dav_error
from caldav.lib.url import URL
from lxml import etree

from .calendar_feeds import Interval, merge
from .core import http, urlguard

MAX_BYTES = 5 * 1024 * 1024
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 20
MAX_REDIRECTS = 5
MAX_CALENDARS = 50
WELL_KNOWN = "/.well-known/caldav"
ICS_TYPE = "text/calendar; charset=utf-8"
# Free-busy periods of these types leave the time free.
_FREE = {"FREE"}

logger = logging.getLogger(__name__)


class CalDAVError(Exception):
    """A CalDAV request failed; the message is what the connection shows."""


class CalDAVAuthError(CalDAVError):
    """The server refused the account's username or password."""


class FreeBusyUnsupported(CalDAVError):
    """The calendar does not answer free-busy queries (read its events instead)."""


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


# --- the session -------------------------------------------------------------------


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https"
                                                                  else 80)


def same_origin(url: str, origin: tuple[str, str, int]) -> bool:
    """Whether ``url`` is on ``origin``, or is its https form on the default port."""
    found = origin_of(url)
    return found == origin or (origin[0] == "http" and origin[2] == 80
                               and found == ("https", origin[1], 443))


class BoundedSession(requests.Session):
    """A guarded session that stays on one origin and bounds every answer."""

    def __init__(self, origin_url: str):
        super().__init__()
        self.trust_env = False  # no proxies and no .netrc from the environment
        adapter = http.GuardedAdapter(pool_connections=2, pool_maxsize=2)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.origin = origin_of(origin_url)
        self.final_url = ""  # where the last request ended, after its redirects

    def request(self, method, url, **kwargs):
        kwargs.update(allow_redirects=False, stream=True,
                      timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        for _ in range(MAX_REDIRECTS + 1):
            self._check_origin(url)
            response = super().request(method, url, **kwargs)
            if not response.is_redirect:
                _read_bounded(response)
                self.final_url = url
                return response
            response.close()
            url = urljoin(url, response.headers["Location"])
            if response.status_code == 303:
                method = "GET"
                kwargs.pop("data", None)
        raise CalDAVError(f"The CalDAV server redirected more than {MAX_REDIRECTS} times")

    def _check_origin(self, url: str) -> None:
        if not same_origin(url, self.origin):
            host = urlsplit(url).hostname or url
            raise CalDAVError(
                f"The CalDAV server sent Termin to another host ({host}); a connection's "
                f"requests, and its password, go only to {self.origin[1]}")


def _read_bounded(response: requests.Response) -> None:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            response.close()
            raise CalDAVError(f"The CalDAV server's answer is larger than "
                              f"{MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what requests keeps once a body is read
    response._content_consumed = True


@contextmanager
def connected(account: Account, *, seconds: float):
    """A ``caldav.DAVClient`` for ``account`` on a ``BoundedSession``; every request
    in the block ends within ``seconds`` from now. Library and HTTP failures leave
    the block as ``CalDAVError`` (``CalDAVAuthError`` for refused credentials)."""
    started = time.monotonic()
    with translated_errors(started, seconds), http.deadline(seconds):
        # Basic credentials from the first request (the session keeps them to the
        # origin); a server that asks for Digest gets it from the library.
        client = caldav.DAVClient(
            url=account.url, username=account.username, password=account.password,
            auth=requests.auth.HTTPBasicAuth(account.username, account.password))
        client.session = BoundedSession(account.url)
        try:
            yield client
        finally:
            client.close()


@contextmanager
def translated_errors(started: float, seconds: float):
    try:
        yield
    except CalDAVError:
        raise
    except dav_error.AuthorizationError as exc:
        raise CalDAVAuthError("The CalDAV server refused the username or password") from exc
    except dav_error.DAVError as exc:
        raise CalDAVError(f"The CalDAV server answered {_status_line(exc)}") from exc
    except urlguard.UnsafeUrl as exc:
        raise CalDAVError(exc.message) from exc
    except requests.RequestException as exc:
        raise _request_error(exc, time.monotonic() - started, seconds) from exc
    except etree.LxmlError as exc:
        raise CalDAVError("The CalDAV server's answer is not valid XML") from exc
    except Exception as exc:  # noqa: BLE001 - the library stumbling over an odd answer
        logger.warning("A CalDAV answer could not be read", exc_info=True)
        raise CalDAVError(f"The server's answer is not what a CalDAV server sends "
                          f"({type(exc).__name__})") from exc


def _status_line(exc: dav_error.DAVError) -> str:
    """The status and reason of a library error (its text also carries the body)."""
    first = str(getattr(exc, "reason", "") or exc).strip().splitlines()
    return (first[0] if first else "an error")[:200]


def _request_error(exc: requests.RequestException, elapsed: float, seconds: float
                   ) -> CalDAVError:
    if elapsed >= seconds:
        return CalDAVError(f"The CalDAV server did not answer within {seconds:g} seconds")
    if isinstance(exc, requests.Timeout):
        return CalDAVError(f"The CalDAV server did not answer within {READ_TIMEOUT:g} seconds")
    return CalDAVError(f"The CalDAV server could not be reached: {_cause(exc)}")


def _cause(exc: BaseException) -> str:
    """The innermost reason (urllib3 wraps the guard's refusal and socket errors)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, urlguard.UnsafeUrl):
            return inner.message
        exc = inner
    return str(exc)[:300]


# --- discovery -----------------------------------------------------------------------


def discover(account: Account, *, seconds: float) -> list[FoundCalendar]:
    """The account's calendars that hold events: the principal from the URL given
    (``/.well-known/caldav`` first when it names only a host, RFC 6764), its
    calendar home, and the calendars in it."""
    with connected(account, seconds=seconds) as client:
        principal = _principal(client, account.url)
        home = _home(client, principal, account.url)
        response = home._query_properties(
            [dav.DisplayName(), dav.ResourceType(), cdav.SupportedCalendarComponentSet()], 1)
        found = []
        for path, props in response.find_objects_and_props().items():
            if _holds_events(props):
                url = str(home.url.join(quote(path)))
                if url.rstrip("/") != str(home.url).rstrip("/"):
                    found.append(FoundCalendar(url=url, name=_text(props, dav.DisplayName)))
        return found[:MAX_CALENDARS]


def _principal(client, url: str):
    """The account's principal; the URL itself when no candidate names one."""
    bare = urlsplit(url).path in ("", "/")
    well_known = urljoin(url, WELL_KNOWN)
    for candidate in ([well_known, url] if bare else [url, well_known]):
        href = _current_user_principal(client, candidate)
        if href:
            return caldav.Principal(client=client, url=URL.objectify(href))
    return caldav.Principal(client=client, url=client.url)


def _current_user_principal(client, candidate: str) -> str | None:
    """The principal URL a PROPFIND of ``candidate`` names, resolved against the URL
    that answered (after redirects); None when it names none or fails."""
    query = dav.Propfind() + [dav.Prop() + [dav.CurrentUserPrincipal()]]
    answer = client.propfind(candidate, etree.tostring(query.xmlelement()), depth=0)
    if answer.status >= 400 or answer.tree is None:
        return None
    for props in answer.find_objects_and_props().values():
        found = props.get(dav.CurrentUserPrincipal.tag)
        href = found.find(dav.Href.tag) if found is not None else None
        if href is not None and href.text:
            return urljoin(client.session.final_url or candidate, href.text.strip())
    return None


def _home(client, principal, url: str):
    """The principal's calendar home (the principal itself when it names none);
    CalDAVError when it lies on another host."""
    href = principal.get_property(cdav.CalendarHomeSet())
    if not href:
        return caldav.CalendarSet(client, principal.url)
    if "://" in href:
        if not same_origin(href, origin_of(url)):
            host = urlsplit(href).hostname
            raise CalDAVError(f"This account's calendars are on another host ({host}); "
                              f"connect with {urlsplit(href).scheme}://{host}/ as the URL")
    elif "@" in href:
        href = quote(href)  # as the library does: some servers send the @ unquoted
    principal.calendar_home_set = href  # no request: the library joins it to the principal
    return principal.calendar_home_set


def _holds_events(props: dict) -> bool:
    kinds = props.get(dav.ResourceType.tag)
    if kinds is None or kinds.find(cdav.Calendar.tag) is None:
        return False
    components = props.get(cdav.SupportedCalendarComponentSet.tag)
    if components is None or len(components) == 0:
        return True  # no set given: every component
    return any(comp.get("name", "").upper() == "VEVENT" for comp in components)


def _text(props: dict, element) -> str:
    found = props.get(element.tag)
    return ((found.text if found is not None else "") or "").strip()[:200]


# --- busy time -----------------------------------------------------------------------


def free_busy(client, calendar_url: str, start: dt.datetime, end: dt.datetime
              ) -> list[Interval]:
    """The calendar's busy periods in ``[start, end)`` from a free-busy query (RFC
    4791 7.10); FreeBusyUnsupported when the server does not answer one."""
    calendar = caldav.Calendar(client=client, url=calendar_url)
    try:
        answer = calendar.freebusy_request(start, end)
    except (dav_error.ReportError, dav_error.NotFoundError) as exc:
        raise FreeBusyUnsupported(f"No free-busy query: {_status_line(exc)}") from exc
    except dav_error.AuthorizationError as exc:
        # 403: this account may not ask for free-busy; 401 is the credentials'.
        if "forbidden" not in str(exc.reason).lower():
            raise
        raise FreeBusyUnsupported("No free-busy query: forbidden") from exc
    return busy_periods(answer.data or "", start, end)


def busy_periods(data: str | bytes, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The merged busy ``FREEBUSY`` periods of a VFREEBUSY answer, clipped to the range."""
    try:
        parsed = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalDAVError("The free-busy answer is not valid iCalendar") from exc
    found = []
    for component in parsed.walk("VFREEBUSY"):
        values = component.get("FREEBUSY", [])
        for value in values if isinstance(values, list) else [values]:
            if str(value.params.get("FBTYPE", "BUSY")).upper() in _FREE:
                continue
            for begin, finish in _periods(value):
                found.append((max(begin, start), min(finish, end)))
    return merge(period for period in found if period[1] > period[0])


def _periods(value) -> list[Interval]:
    """``(start, end)`` of the period a FREEBUSY value holds, in UTC."""
    begin, finish = value.dt
    if isinstance(finish, dt.timedelta):
        finish = begin + finish
    return [(_utc(begin), _utc(finish))]


def _utc(moment: dt.datetime) -> dt.datetime:
    # RFC 5545 wants FREEBUSY in UTC; a server that leaves the zone out means it too.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def event_objects(client, calendar_url: str, start: dt.datetime, end: dt.datetime
                  ) -> list[str]:
    """The iCalendar text of every event object in the calendar that overlaps
    ``[start, end)`` (a calendar-query, recurring events unexpanded)."""
    calendar = caldav.Calendar(client=client, url=calendar_url)
    return [found.data for found in calendar.search(start=start, end=end, event=True)
            if found.data]


# --- writing -------------------------------------------------------------------------


def put_event(client, calendar_url: str, name: str, body: bytes) -> str:
    """Create or replace the event object ``name`` in the calendar; its URL."""
    href = str(URL.objectify(calendar_url).join(quote(name)))
    answer = client.put(href, body, {"Content-Type": ICS_TYPE})
    if answer.status not in (200, 201, 204):
        raise CalDAVError(f"The CalDAV server answered HTTP {answer.status} to writing "
                          f"the event")
    return href


def delete_event(client, href: str) -> None:
    """Remove the event object at ``href``; one already gone is fine."""
    answer = client.delete(href)
    if answer.status not in (200, 204, 404, 410):
        raise CalDAVError(f"The CalDAV server answered HTTP {answer.status} to deleting "
                          f"the event")
