"""Signed links for attendees and hosts (SPEC section 7, "Keys and secrets").

Links in emails and on pages carry a token made with ``django.core.signing``,
so a Celery task can rebuild them from the appointment alone, without the
appointment's secret. Each token names its purpose, so a manage link cannot be
replayed as a host's confirm link. Pages (``scheduling/views.py``) resolve them
with ``appointment_from_token``; emails build them with the ``*_url`` functions.

Paths (all absolute with ``SITE_URL``):

- ``/manage/<token>``: the attendee's page to cancel or reschedule
- ``/optin/<token>``: the attendee confirms a double opt-in booking
- ``/host/<token>``: the host confirms or declines a booking awaiting them

GET shows a page; only a POST from that page changes anything, so mail
scanners that prefetch links cannot confirm or cancel.
"""

import datetime as dt

from django.conf import settings
from django.core import signing

MANAGE, OPTIN, HOST = "manage", "optin", "host"
_SALT = "termin.links"
# How long a link keeps working after it was made.
MAX_AGE = {MANAGE: dt.timedelta(days=400), OPTIN: dt.timedelta(days=7), HOST: dt.timedelta(days=30)}


def make_token(appointment, purpose: str) -> str:
    return signing.dumps({"a": str(appointment.uuid), "p": purpose}, salt=_SALT, compress=True)


def appointment_uuid_from_token(token: str, purpose: str) -> str | None:
    """The appointment uuid a valid, unexpired token of ``purpose`` names, else None."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE[purpose])
    except signing.BadSignature:  # also SignatureExpired
        return None
    return data.get("a") if data.get("p") == purpose else None


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def manage_url(appointment) -> str:
    return _url(f"/manage/{make_token(appointment, MANAGE)}")


def optin_url(appointment) -> str:
    return _url(f"/optin/{make_token(appointment, OPTIN)}")


def host_url(appointment) -> str:
    return _url(f"/host/{make_token(appointment, HOST)}")
