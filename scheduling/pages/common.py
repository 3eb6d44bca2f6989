"""What every page shares: rendering in the attendee's zone, the friendly refusals
(not found, limited, a caught bot) and the parsing of the query string."""

import datetime as dt
import logging
import math
from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone as djtz
from django.utils.translation import gettext as _

from .. import publiclimits
from ..clientaddr import client_address
from ..core.timeutils import canonical_timezone, get_zone
from ..models import MeetingType

logger = logging.getLogger("termin.pages")

# A start further from now than this in either direction is no time at all.
START_BOUND = dt.timedelta(days=3660)


def page(request, template: str, context: dict, *, zone: str = "UTC", status: int = 200):
    """Render with datetimes shown in ``zone`` (the attendee's time zone)."""
    with djtz.override(get_zone(zone)):
        return render(request, template, {"tz": zone, **context}, status=status)


def message(request, title: str, text: str, *, status: int = 404):
    return page(request, "scheduling/message.html", {"title": title, "text": text},
                status=status)


def too_many(request, wait: int, reason: str):
    """The friendly 429 of a limit: ``reason`` is "address", "email" or "holds"."""
    response = page(request, "scheduling/limited.html", {
        "reason": reason, "minutes": max(1, math.ceil(wait / 60)),
    }, zone=zone_asked(request, "UTC"), status=429)
    response["Retry-After"] = str(wait)
    return response


def limited_posts(view):
    """A page whose POSTs first spend a token of the client address (publiclimits)."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST":
            wait = publiclimits.address_wait(request)
            if wait:
                return too_many(request, wait, "address")
        return view(request, *args, **kwargs)

    return limited


def caught_bot(request, form) -> bool:
    """A filled honeypot: the bot gets a plain 400 and nothing is done."""
    if not form.caught_bot():
        return False
    logger.info("Honeypot filled on %s from %s", request.path, client_address(request))
    return True


def bot_refusal(request):
    return message(request, _("This form could not be sent"),
                   _("Please reload the page and try again."), status=400)


def query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def zone_asked(request, default: str) -> str:
    """The zone in the ``tz`` parameter (form or query string), else ``default``."""
    asked = request.POST.get("tz") or request.GET.get("tz") or ""
    return canonical_timezone(asked) or default


def duration_asked(request, meeting_type: MeetingType, fallback: int | None = None) -> int:
    """The ``duration`` asked when the meeting type offers it, else ``fallback`` when
    offered, else the meeting type's default."""
    try:
        asked = int(request.POST.get("duration") or request.GET.get("duration") or 0)
    except ValueError:
        asked = 0
    if asked in meeting_type.durations:
        return asked
    return fallback if fallback in (meeting_type.durations or ()) else \
        meeting_type.default_duration


def start_asked(request) -> dt.datetime | None:
    """The ``start`` with an offset, within START_BOUND of now; else None."""
    value = request.POST.get("start") or request.GET.get("start") or ""
    try:
        start = dt.datetime.fromisoformat(value.replace(" ", "+"))
        start = start.astimezone(dt.UTC) if start.tzinfo else None
    except (ValueError, OverflowError):  # overflow: year 1 or 9999 moved into UTC
        return None
    if start is None or abs(start - djtz.now()) > START_BOUND:
        return None
    return start


def link_spent(request, state: str):
    """The friendly page of a one-time booking link that was used (``used``) or has
    expired (``expired``): a 410, since the link will not work again."""
    if state == "used":
        return message(request, _("This link has already been used"), _(
            "This one-time booking link has already been used to book an appointment. "
            "Please ask the person who sent it to you for a new link."), status=410)
    return message(request, _("This link has expired"), _(
        "This one-time booking link has expired. Please ask the person who sent it to you "
        "for a new link."), status=410)
