"""``/feeds/<token>.ics``: a user's appointments as an iCalendar feed.

The token is the secret (``services/calendars.py``); calendar apps fetch the
address without any other credentials. An unknown or retired token is a plain
404. The answer carries an ETag, so a subscriber polling an unchanged calendar
gets a 304.
"""

import hashlib

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from ..services import calendars


@require_safe
def appointments_feed(request, token: str):
    feed = calendars.feed_from_token(token)
    if feed is None:
        raise Http404("No such feed")
    body = calendars.feed_ics(feed=feed)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response["ETag"] = etag
    # The address is the secret: no shared cache may keep the answer.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
