"""Signed links for attendees and hosts (SPEC section 7, "Keys and secrets").

Links in emails and on pages carry a token made with ``django.core.signing``,
so a Celery task can rebuild them from the appointment alone, without the
appointment's secret. Each token names its purpose, so a manage link cannot be
replayed as a host's confirm link. Pages (``scheduling/pages/``) resolve them
with ``appointment_from_token`` (or ``appointment_uuid_from_token``); emails
build them with the ``*_url`` functions.

A manage link lets whoever holds it cancel or move the meeting, so it goes to the
booker alone and can be revoked: it carries the appointment's ``manage_nonce``,
which every reschedule and cancellation replaces, so the links sent before stop
working (the booker's email about the new time carries a new one). Every link
stops working ``LINK_DAYS_AFTER_MEETING`` days after the meeting ends; opt-in
and host links also once they are older than ``MAX_AGE`` allows. Those two carry
no nonce, so an opt-in link survives a change of time before the booking is
confirmed (no email would bring a new one).

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
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare

MANAGE, OPTIN, HOST = "manage", "optin", "host"
_SALT = "termin.links"
# How long an opt-in or host link keeps working after it was made, at most.
MAX_AGE = {OPTIN: dt.timedelta(days=7), HOST: dt.timedelta(days=30)}


def make_token(appointment, purpose: str) -> str:
    data = {"a": str(appointment.uuid), "p": purpose}
    if purpose == MANAGE:
        data["n"] = appointment.manage_nonce
    return signing.dumps(data, salt=_SALT, compress=True)


def appointment_from_token(token: str, purpose: str, *, queryset=None,
                           now: dt.datetime | None = None):
    """The appointment a valid token of ``purpose`` names, else None.

    Invalid: a bad signature, another purpose, an opt-in or host link past its
    ``MAX_AGE``, a manage link whose nonce is no longer the appointment's, and any
    link ``LINK_DAYS_AFTER_MEETING`` days after the meeting's end (at ``now``).
    ``queryset`` (of appointments) says what to load with it.
    """
    from .models import Appointment

    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE.get(purpose))
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    queryset = Appointment.objects.all() if queryset is None else queryset
    try:
        appointment = queryset.filter(uuid=data.get("a")).first()
    except (ValueError, TypeError, ValidationError):
        return None
    if appointment is None or not _current(appointment, purpose, data, now):
        return None
    return appointment


def _current(appointment, purpose: str, data: dict, now: dt.datetime | None) -> bool:
    if purpose == MANAGE and not constant_time_compare(str(data.get("n", "")),
                                                       appointment.manage_nonce):
        return False
    return (now or timezone.now()) <= link_expiry(appointment)


def link_expiry(appointment) -> dt.datetime:
    """When the appointment's links stop working: some days after the meeting ends."""
    return appointment.end + dt.timedelta(days=settings.LINK_DAYS_AFTER_MEETING)


def appointment_uuid_from_token(token: str, purpose: str, *,
                                now: dt.datetime | None = None) -> str | None:
    """The uuid of the appointment a valid token of ``purpose`` names, else None
    (see ``appointment_from_token``)."""
    from .models import Appointment

    appointment = appointment_from_token(
        token, purpose, now=now,
        queryset=Appointment.objects.only("uuid", "manage_nonce", "end"))
    return str(appointment.uuid) if appointment is not None else None


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def manage_url(appointment) -> str:
    """The booker's link to cancel or reschedule: never give it to anyone else."""
    return _url(f"/manage/{make_token(appointment, MANAGE)}")


def optin_url(appointment) -> str:
    return _url(f"/optin/{make_token(appointment, OPTIN)}")


def host_url(appointment) -> str:
    return _url(f"/host/{make_token(appointment, HOST)}")
