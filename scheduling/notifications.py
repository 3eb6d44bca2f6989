"""Emails about appointments, and reminders before them.

The services call one hook per change (``on_booked``, ``on_confirmed``,
``on_declined``, ``on_cancelled``, ``on_rescheduled``, ``on_guests_added``)
inside their transaction; the hook queues a Celery task once that transaction
commits, so no email speaks of a booking that rolled back. The task calls
``appointment_notify``, which sends each email through Django's mail backend with
one function per kind.
Reminders come from a periodic task (``reminders_send_due``).

Rules every email follows:

* Attendee emails are in the attendee's ``language`` (English unless it is
  German; bring-along guests share the booker's), with times in their time zone.
  Host emails are in English, with times in the host's time zone.
* ``skip_notifications`` silences every attendee email, opt-in link and
  reminders included; hosts still get theirs (the booking document says the flag
  skips notifications "to the attendee", and a host must still be asked to confirm).
* Bring-along guests (also those added later) get the confirmation with the
  .ics, the reschedule, the cancellation of a confirmed booking and reminders,
  but no manage link, neither in the email nor in its .ics: only the booker may
  cancel or move the booking.
  Hosts' emails and .ics carry none either.
* Names, titles and reasons are the attendee's or the staff's text: the HTML
  makes links only of addresses Termin built (join, manage, confirm), and the
  subject is folded onto one line (``scheduling/core/text.py``) whatever was stored.
* An email about a state the appointment has left (a confirmation of a booking
  cancelled meanwhile) is not sent.
* Every email sent is logged as a ``SentEmail`` row, written in the transaction
  that sends it. The row's unique constraint keeps a reminder to one send.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import links, selectors
from .core.text import single_line
from .core.timeutils import get_zone
from .models import Appointment, AppointmentStatus, Attendee, EmailKind, SentEmail, User
from .selectors import attendee_zone, host_zone

logger = logging.getLogger(__name__)

# Reminders go this long before the start, longest first. Each is due until the
# next shorter one is, so a late sweep never sends a stale "tomorrow" reminder.
REMINDER_LEADS = (dt.timedelta(hours=24), dt.timedelta(hours=1))

BOOKED, CONFIRMED, DECLINED, CANCELLED, RESCHEDULED, GUESTS_ADDED = (
    "booked", "confirmed", "declined", "cancelled", "rescheduled", "guests_added")


# --- hooks: called by the services inside their transaction ---------------------------


def on_booked(appointment: Appointment) -> None:
    _queue(BOOKED, appointment)


def on_confirmed(appointment: Appointment) -> None:
    """After an opt-in or a host's confirmation (the appointment may now wait for the host)."""
    _queue(CONFIRMED, appointment)


def on_declined(appointment: Appointment) -> None:
    _queue(DECLINED, appointment)


def on_cancelled(appointment: Appointment, *, notify_attendees: bool = True) -> None:
    _queue(CANCELLED, appointment, notify_attendees=notify_attendees)


def on_rescheduled(appointment: Appointment, *, previous_start: dt.datetime) -> None:
    _queue(RESCHEDULED, appointment, previous_start=previous_start.isoformat())


def on_guests_added(appointment: Appointment, *, emails: list[str]) -> None:
    """Bring-along guests joined an existing appointment (``PATCH .../guest-emails``)."""
    _queue(GUESTS_ADDED, appointment, emails=list(emails))


def _queue(event: str, appointment: Appointment, **extra) -> None:
    """Queue the emails of ``event`` once the caller's transaction commits.

    The status at the time of the change travels with the task, so emails about
    a state the appointment has left by the time the worker runs are not sent.
    """
    from .tasks import send_appointment_emails

    kwargs = {"event": event, "appointment_id": appointment.pk, "status": appointment.status,
              "queued_at": timezone.now().isoformat(), **extra}

    def enqueue() -> None:
        # The change has committed; a broker outage must not turn it into an error.
        try:
            send_appointment_emails.delay(**kwargs)
        except Exception:
            logger.exception("Could not queue %s emails of appointment %s",
                             event, appointment.pk)

    transaction.on_commit(enqueue)


# --- what each change sends ---------------------------------------------------------------


def appointment_notify(*, event: str, appointment_id: int, status: str, queued_at: str,
                       **extra) -> list[SentEmail]:
    """Send the emails of ``event`` (one of the hook names) for the appointment.

    Nothing is sent when the appointment is gone or its status is no longer
    ``status``. A retried task skips the recipients it reached on an earlier
    try (those with a log row of that kind since ``queued_at``).
    """
    appointment = selectors.appointments_for_payload().filter(pk=appointment_id).first()
    if appointment is None or appointment.status != status:
        return []
    batch = Batch(appointment, since=dt.datetime.fromisoformat(queued_at))
    EVENTS[event](batch, **extra)
    return batch.sent


def _booked(batch: "Batch") -> None:
    status = batch.appointment.status
    if status == AppointmentStatus.CONFIRMED:
        confirmation_send(batch)
        host_booked_send(batch)
    elif status == AppointmentStatus.PENDING_OPTIN:
        optin_send(batch)
    elif status == AppointmentStatus.PENDING_HOST:
        requested_send(batch)
        host_request_send(batch)


def _confirmed(batch: "Batch") -> None:
    if batch.appointment.status == AppointmentStatus.CONFIRMED:
        confirmation_send(batch)
        host_booked_send(batch)
    elif batch.appointment.status == AppointmentStatus.PENDING_HOST:
        host_request_send(batch)  # the attendee opted in; now the host decides


def _declined(batch: "Batch") -> None:
    declined_send(batch)


def _cancelled(batch: "Batch", *, notify_attendees: bool = True) -> None:
    if notify_attendees:
        cancellation_send(batch)
    host_cancelled_send(batch)


def _rescheduled(batch: "Batch", *, previous_start: str) -> None:
    # Only a confirmed booking was announced; a provisional one is still being decided.
    if batch.appointment.status != AppointmentStatus.CONFIRMED:
        return
    previous = dt.datetime.fromisoformat(previous_start)
    reschedule_send(batch, previous)
    host_rescheduled_send(batch, previous)


def _guests_added(batch: "Batch", *, emails: list[str]) -> None:
    # The new guests only, with the invitation the booking's guests got; a provisional
    # booking's guests get theirs when it is confirmed, with everyone else's.
    if batch.appointment.status == AppointmentStatus.CONFIRMED:
        confirmation_send(batch, only=set(emails))


EVENTS = {BOOKED: _booked, CONFIRMED: _confirmed, DECLINED: _declined,
          CANCELLED: _cancelled, RESCHEDULED: _rescheduled, GUESTS_ADDED: _guests_added}


# --- one function per kind of email -------------------------------------------------------


def confirmation_send(batch: "Batch", *, only: set[str] | None = None) -> None:
    """To every attendee (or those whose email is in ``only``): the booking is
    confirmed, with the .ics (and, for the booker, the link to cancel or reschedule)."""
    for attendee in batch.attendees():
        if only is not None and attendee.email not in only:
            continue
        with batch.speaking(attendee) as msg:
            msg.kind, msg.ics = EmailKind.CONFIRMATION, True
            msg.subject = _("Confirmed: %(title)s on %(when)s") % msg.names
            msg.intro = [_("Your booking is confirmed. The invitation for your calendar is "
                           "attached.") if attendee.is_primary else
                         _("%(attendee)s invited you to this appointment. The invitation for "
                           "your calendar is attached.") % msg.names]
            msg.actions = batch.manage_actions(attendee)


def requested_send(batch: "Batch") -> None:
    """To the booker of a meeting type that needs the host's confirmation."""
    for attendee in batch.attendees(primary_only=True):
        with batch.speaking(attendee) as msg:
            msg.kind = EmailKind.REQUESTED
            msg.subject = _("Booking request received: %(title)s") % msg.names
            msg.intro = [_("Thank you for your booking request. %(host)s will confirm or "
                           "decline it; you will hear from us either way.") % msg.names]
            msg.actions = batch.manage_actions(attendee)


def optin_send(batch: "Batch") -> None:
    """To the booker of a double opt-in meeting type: the link that confirms the booking."""
    for attendee in batch.attendees(primary_only=True):
        with batch.speaking(attendee) as msg:
            msg.kind = EmailKind.OPTIN
            msg.subject = _("Please confirm your booking: %(title)s") % msg.names
            msg.intro = [_("Please confirm your booking with the button below. Until you "
                           "do, the time is only reserved for you."),
                         _("If you did not make this booking, ignore this email.")]
            msg.actions = [(_("Confirm booking"), links.optin_url(batch.appointment))]


def cancellation_send(batch: "Batch") -> None:
    """To the attendees of a cancelled booking (guests only if it had been confirmed)."""
    appointment = batch.appointment
    for attendee in batch.attendees(primary_only=appointment.confirmed_at is None):
        with batch.speaking(attendee) as msg:
            msg.kind, msg.ics = EmailKind.CANCELLATION, True
            msg.subject = _("Cancelled: %(title)s on %(when)s") % msg.names
            msg.intro = [_("This appointment has been cancelled.")]
            if appointment.cancel_reason:
                msg.details.append(Detail(_("Reason"), appointment.cancel_reason))


def declined_send(batch: "Batch") -> None:
    """To the booker whose request the host declined."""
    for attendee in batch.attendees(primary_only=True):
        with batch.speaking(attendee) as msg:
            msg.kind = EmailKind.DECLINED
            msg.subject = _("Declined: %(title)s on %(when)s") % msg.names
            msg.intro = [_("Unfortunately %(host)s cannot take this appointment. The time "
                           "is free again; you are welcome to book another.") % msg.names]
            if batch.appointment.cancel_reason:
                msg.details.append(Detail(_("Reason"), batch.appointment.cancel_reason))


def reschedule_send(batch: "Batch", previous: dt.datetime) -> None:
    """To every attendee: the new time, with an updated .ics."""
    for attendee in batch.attendees():
        with batch.speaking(attendee) as msg:
            msg.kind, msg.ics = EmailKind.RESCHEDULE, True
            msg.subject = _("Rescheduled: %(title)s, now on %(when)s") % msg.names
            msg.intro = [_("This appointment has moved to a new time. The updated "
                           "invitation for your calendar is attached.")]
            msg.details.insert(2, Detail(_("Previously"), msg.format_when(previous)))
            msg.actions = batch.manage_actions(attendee)


def reminder_send(*, attendee: Attendee, lead: dt.timedelta,
                  now: dt.datetime | None = None) -> SentEmail | None:
    """Remind one attendee of their appointment ``lead`` before it starts.

    Sends nothing (returns None) when this reminder for this start went out
    before, or the appointment is no longer confirmed. The log row is claimed in
    the sending transaction, so a failed send is retried by a later sweep and
    two racing sweeps send it once.
    """
    appointment = selectors.appointments_for_payload().get(pk=attendee.appointment_id)
    if appointment.status != AppointmentStatus.CONFIRMED or appointment.skip_notifications:
        return None
    batch = Batch(appointment, since=now or timezone.now())
    attendee = next(a for a in appointment.attendees.all() if a.pk == attendee.pk)
    with batch.speaking(attendee, lead=lead) as msg:
        msg.kind = EmailKind.REMINDER
        msg.subject = _("Reminder: %(title)s on %(when)s") % msg.names
        msg.intro = [_("This is a reminder of your upcoming appointment.")]
        msg.actions = batch.manage_actions(attendee)
    return batch.sent[0] if batch.sent else None


def host_booked_send(batch: "Batch") -> None:
    for host in batch.hosts():
        with batch.speaking_to_host(host) as msg:
            msg.kind, msg.ics = EmailKind.HOST_BOOKED, True
            msg.subject = _("New booking: %(title)s with %(attendee)s on %(when)s") % msg.names
            msg.intro = [_("%(attendee)s booked an appointment with you.") % msg.names]


def host_request_send(batch: "Batch") -> None:
    """To the hosts of a booking awaiting confirmation: the confirm / decline link."""
    for host in batch.hosts():
        with batch.speaking_to_host(host) as msg:
            msg.kind = EmailKind.HOST_REQUEST
            msg.subject = _("Please confirm or decline: %(title)s with %(attendee)s") % msg.names
            msg.intro = [_("%(attendee)s asked for an appointment with you. It is held until "
                           "you confirm or decline it.") % msg.names]
            msg.actions = [(_("Confirm or decline"), links.host_url(batch.appointment))]


def host_cancelled_send(batch: "Batch") -> None:
    for host in batch.hosts():
        with batch.speaking_to_host(host) as msg:
            msg.kind, msg.ics = EmailKind.HOST_CANCELLED, True
            msg.subject = _("Cancelled: %(title)s with %(attendee)s on %(when)s") % msg.names
            msg.intro = [_("This appointment has been cancelled; the time is free again.")]
            if batch.appointment.cancel_reason:
                msg.details.append(Detail(_("Reason"), batch.appointment.cancel_reason))


def host_rescheduled_send(batch: "Batch", previous: dt.datetime) -> None:
    for host in batch.hosts():
        with batch.speaking_to_host(host) as msg:
            msg.kind, msg.ics = EmailKind.HOST_RESCHEDULED, True
            msg.subject = _("Rescheduled: %(title)s with %(attendee)s, now on %(when)s"
                            ) % msg.names
            msg.intro = [_("This appointment has moved to a new time.")]
            msg.details.insert(2, Detail(_("Previously"), msg.format_when(previous)))


# --- reminders ----------------------------------------------------------------------------


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every reminder that is due at ``now``; returns how many went out.

    A reminder ``lead`` before the start is due from then until the next shorter
    lead (or the start), to attendees with ``receive_reminders`` of confirmed
    appointments without ``skip_notifications``. An appointment confirmed inside
    that window gets no such reminder: its confirmation has just told them.
    A failed send is logged and retried by the next sweep.
    """
    now = now or timezone.now()
    count = 0
    for lead, until in zip(REMINDER_LEADS, (*REMINDER_LEADS[1:], dt.timedelta(0)), strict=True):
        for attendee in reminders_due(now=now, lead=lead, until=until):
            try:
                count += reminder_send(attendee=attendee, lead=lead, now=now) is not None
            except Exception:
                logger.exception("Reminder to attendee %s failed; the next sweep retries",
                                 attendee.pk)
    return count


def reminders_due(*, now: dt.datetime, lead: dt.timedelta, until: dt.timedelta):
    """Attendees owed the ``lead`` reminder at ``now`` that have not had it for this start."""
    sent = SentEmail.objects.filter(
        appointment=OuterRef("appointment"), recipient=OuterRef("email"),
        kind=EmailKind.REMINDER, lead_minutes=_minutes(lead),
        start=OuterRef("appointment__start"))
    return (Attendee.objects
            .filter(appointment__status=AppointmentStatus.CONFIRMED,
                    appointment__skip_notifications=False,
                    appointment__start__gt=now + until, appointment__start__lte=now + lead,
                    appointment__confirmed_at__lte=F("appointment__start") - lead,
                    receive_reminders=True)
            .exclude(email="").exclude(Exists(sent)).order_by("appointment__start", "pk"))


def _minutes(lead: dt.timedelta) -> int:
    return int(lead.total_seconds() // 60)


# --- building and sending -------------------------------------------------------------------


def language_of(code: str) -> str:
    """A supported language for a locale such as ``de``, ``de-AT`` or ``de_DE``."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return base if base in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class Detail(NamedTuple):
    """One line of an email's details. ``href`` is set only for an address Termin
    built (the join link): any other text, however it starts, stays text."""

    label: str
    value: str
    href: str = ""


@dataclass
class Message:
    """One email being written; ``Batch.speaking`` fills the common parts."""

    recipient: str
    language: str
    zone: str
    appointment: Appointment
    names: dict
    kind: str = ""
    subject: str = ""
    greeting: str = ""
    intro: list = field(default_factory=list)
    details: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    ics: bool = False
    booker: bool = False  # the primary attendee: their .ics carries the manage link
    lead_minutes: int = 0
    reply_to: list = field(default_factory=list)

    def format_when(self, start: dt.datetime, end: dt.datetime | None = None) -> str:
        """``Monday, January 15, 2024, 09:00–09:30 (Europe/Berlin)`` in the active language."""
        zone = get_zone(self.zone)
        start = start.astimezone(zone)
        end = (end or start + (self.appointment.end - self.appointment.start)).astimezone(zone)
        day = dateformat.format(start, pgettext("date in emails", "l, F j, Y"))
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({self.zone})"


class Batch:
    """The emails of one change of one appointment."""

    def __init__(self, appointment: Appointment, *, since: dt.datetime):
        self.appointment = appointment
        self.since = since
        self.sent: list[SentEmail] = []
        attendees = list(appointment.attendees.all())
        self.primary = next((a for a in attendees if a.is_primary),
                            attendees[0] if attendees else None)
        self._attendees = attendees

    def attendees(self, *, primary_only: bool = False) -> list[Attendee]:
        if self.appointment.skip_notifications:
            return []
        chosen = self._attendees if not primary_only else [self.primary] if self.primary else []
        return [a for a in chosen if a.email]

    def hosts(self) -> list[User]:
        return [host for host in self.appointment.hosts.all() if host.email]

    def manage_actions(self, attendee: Attendee) -> list:
        if not attendee.is_primary:
            return []
        return [(_("Cancel or reschedule"), links.manage_url(self.appointment))]

    def speaking(self, attendee: Attendee, *, lead: dt.timedelta | None = None):
        primary = self.primary or attendee
        zone = attendee_zone(self.appointment, attendee)
        name = attendee.full_name if attendee.is_primary else ""
        writing = _Writing(self, attendee.email,
                           language_of(attendee.language or primary.language), zone, name, lead)
        writing.booker = attendee.is_primary
        # An attendee's reply reaches the hosts, not a no-reply mailbox.
        writing.reply_to = [host.email for host in self.hosts()]
        return writing

    def speaking_to_host(self, host: User):
        writing = _Writing(self, host.email, settings.LANGUAGE_CODE, host_zone(host),
                           host.given_name, None)
        writing.reply_to = [self.primary.email] if self.primary and self.primary.email else []
        return writing

    def already_sent(self, recipient: str, kind: str) -> bool:
        """Whether a retry of this change reached ``recipient`` with ``kind`` before."""
        return SentEmail.objects.filter(
            appointment=self.appointment, recipient=recipient, kind=kind,
            start=self.appointment.start, sent_at__gte=self.since).exists()


class _Writing:
    """``with batch.speaking(...) as msg:`` fills ``msg`` in the recipient's language,
    then renders and sends it on leaving the block."""

    def __init__(self, batch: Batch, recipient: str, language: str, zone: str, name: str,
                 lead: dt.timedelta | None):
        self.batch, self.recipient, self.language = batch, recipient, language
        self.zone, self.name, self.lead = zone, name, lead
        self._override = translation.override(language)
        self.reply_to: list[str] = []
        self.booker = False

    def __enter__(self) -> Message:
        self._override.__enter__()
        appointment = self.batch.appointment
        msg = Message(recipient=self.recipient, language=self.language, zone=self.zone,
                      appointment=appointment, names={})
        hosts = ", ".join(str(host) for host in appointment.hosts.all())
        primary = self.batch.primary
        attendee = (primary.full_name or primary.email or primary.phone) if primary else ""
        when = msg.format_when(appointment.start, appointment.end)
        msg.names = {"title": _title(appointment), "when": when, "host": hosts or _("the host"),
                     "attendee": attendee}
        msg.greeting = (_("Hello %(name)s,") % {"name": self.name}) if self.name else _("Hello,")
        msg.details = [Detail(_("What"), msg.names["title"]), Detail(_("When"), when)]
        if hosts:
            msg.details.append(Detail(_("Host"), hosts))
        if attendee:
            msg.details.append(Detail(_("Attendee"), attendee))
        if appointment.location and appointment.location != appointment.meeting_link:
            msg.details.append(Detail(_("Where"), appointment.location))
        if appointment.meeting_link:
            msg.details.append(Detail(_("Join"), appointment.meeting_link,
                                      href=appointment.meeting_link))
        msg.booker = self.booker
        msg.lead_minutes = _minutes(self.lead) if self.lead else 0
        msg.reply_to = self.reply_to
        self.msg = msg
        return msg

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._send(self.msg)
        finally:
            self._override.__exit__(exc_type, exc, tb)
        return False

    def _send(self, msg: Message) -> None:
        batch = self.batch
        if msg.kind != EmailKind.REMINDER and batch.already_sent(msg.recipient, msg.kind):
            return
        context = {"greeting": msg.greeting, "intro": msg.intro, "details": msg.details,
                   "actions": msg.actions, "company": batch.appointment.company.name,
                   "closing": _("Kind regards"), "language": msg.language}
        # Names in the subject were folded at input; a value stored before that
        # must still not break the header (Django refuses the email then).
        subject = single_line(msg.subject)
        email = EmailMultiAlternatives(
            subject=subject, body=render_to_string("emails/appointment.txt", context),
            to=[msg.recipient], reply_to=msg.reply_to)
        email.attach_alternative(render_to_string("emails/appointment.html", context),
                                 "text/html")
        if msg.ics:
            from .ics import appointment_ics

            # An invitation (or, once cancelled, its cancellation) for the recipient's calendar.
            email.attach("invite.ics", appointment_ics(batch.appointment, method="REQUEST",
                                                       manage_link=msg.booker),
                         "text/calendar")
        try:
            with transaction.atomic():
                row = SentEmail.objects.create(
                    appointment=batch.appointment, recipient=msg.recipient, kind=msg.kind,
                    subject=subject[:300], language=msg.language,
                    start=batch.appointment.start, lead_minutes=msg.lead_minutes,
                    sent_at=timezone.now())
                email.send()
        except IntegrityError:
            return  # this reminder for this start went out already
        batch.sent.append(row)


def _title(appointment: Appointment) -> str:
    meeting_type = appointment.meeting_type
    return (appointment.ics_title or (meeting_type.ics_title if meeting_type else "")
            or appointment.meeting_type_title)
