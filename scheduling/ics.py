"""iCalendar (.ics) files of appointments, built with ``icalendar``.

The confirmation page offers the download and emails attach the same event, so
an attendee's calendar sees one event (one ``UID``) whatever route it came by;
a reschedule raises ``SEQUENCE`` so calendars replace the old time. Only the
booker's copy carries the link to cancel or reschedule.
"""

import datetime as dt
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress, vText

from . import links
from .models import Appointment, AppointmentStatus

PRODID = "-//Termin//Scheduling//EN"
_STATUS = {
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.PENDING_OPTIN: "TENTATIVE",
    AppointmentStatus.PENDING_HOST: "TENTATIVE",
}


def appointment_title(appointment: Appointment) -> str:
    """The event's title: the appointment's or meeting type's ``icsTitle``, else
    the meeting type's title with the hosts' names."""
    meeting_type = appointment.meeting_type
    custom = appointment.ics_title or (meeting_type.ics_title if meeting_type else "")
    if custom:
        return custom
    hosts = ", ".join(str(host) for host in appointment.hosts.all())
    return f"{appointment.meeting_type_title} ({hosts})" if hosts else \
        appointment.meeting_type_title


def appointment_description(appointment: Appointment, *, manage_link: bool = False) -> str:
    """The event's description; with ``manage_link`` (for the booker alone, who may
    cancel or move the meeting) the link to do so."""
    meeting_type = appointment.meeting_type
    text = appointment.ics_description or (meeting_type.ics_description if meeting_type else "")
    lines = [text] if text else []
    if appointment.meeting_link:
        lines.append(f"Join: {appointment.meeting_link}")
    if manage_link and appointment.status in _STATUS:
        lines.append(f"Reschedule or cancel: {links.manage_url(appointment)}")
    return "\n\n".join(lines)


def appointment_ics(appointment: Appointment, *, method: str = "PUBLISH",
                    manage_link: bool = False) -> bytes:
    """The appointment as an iCalendar file with one event.

    ``method`` is ``PUBLISH`` for a download, ``REQUEST`` for an invitation by
    email or ``CANCEL`` when it is called off (a cancelled appointment is always
    sent as ``CANCEL``). ``manage_link`` puts the link that cancels or moves the
    meeting in the description: only for the booker, never for guests or hosts.
    """
    cancelled = appointment.status not in _STATUS
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else method)
    cal.add_component(_event(appointment, cancelled, manage_link))
    return cal.to_ical()


def appointment_calendar_object(appointment: Appointment, *, summary: str = "") -> bytes:
    """The appointment as an event of a host's own CalDAV calendar: the same UID as
    every other copy, no METHOD (RFC 4791 forbids it in a calendar object), and
    ``SCHEDULE-AGENT=CLIENT`` on the organizer and attendees so the server sends them
    no invitations of its own (RFC 6638; Termin sends its emails itself)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    event = _event(appointment, appointment.status not in _STATUS, manage_link=False)
    if summary:
        event["summary"] = vText(summary)
    people = event.get("attendee", [])
    for address in [event.get("organizer"), *(people if isinstance(people, list) else [people])]:
        if address is not None:
            address.params["schedule-agent"] = vText("CLIENT")
    cal.add_component(event)
    return cal.to_ical()


def _event(appointment: Appointment, cancelled: bool, manage_link: bool) -> Event:
    event = Event()
    event.add("uid", f"{appointment.uuid}@termin")
    event.add("dtstamp", appointment.updated_at.astimezone(dt.UTC))
    event.add("created", appointment.created_at.astimezone(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    # Every change bumps updated_at, so its seconds since creation only grow.
    event.add("sequence", max(0, int((appointment.updated_at - appointment.created_at)
                                     .total_seconds())))
    event.add("summary", appointment_title(appointment))
    event.add("description", appointment_description(appointment, manage_link=manage_link))
    event.add("status", "CANCELLED" if cancelled else _STATUS[appointment.status])
    if appointment.location:
        event.add("location", appointment.location)
    if appointment.meeting_link:
        event.add("url", appointment.meeting_link)
    hosts = list(appointment.hosts.all())
    if hosts:
        organizer = vCalAddress(f"mailto:{hosts[0].email}")
        organizer.params["cn"] = vText(str(hosts[0]))
        event["organizer"] = organizer
    for person in [*hosts[1:], *appointment.attendees.all()]:
        if person.email:
            address = vCalAddress(f"mailto:{person.email}")
            name = getattr(person, "full_name", "") or person.email
            address.params["cn"] = vText(name)
            address.params["role"] = vText("REQ-PARTICIPANT")
            event.add("attendee", address, encode=0)
    return event


def google_calendar_url(appointment: Appointment, *, manage_link: bool = False) -> str:
    """A link that opens Google Calendar's form for adding this event."""
    stamp = "%Y%m%dT%H%M%SZ"
    start = appointment.start.astimezone(dt.UTC).strftime(stamp)
    end = appointment.end.astimezone(dt.UTC).strftime(stamp)
    query = {"action": "TEMPLATE", "text": appointment_title(appointment),
             "dates": f"{start}/{end}",
             "details": appointment_description(appointment, manage_link=manage_link)}
    if appointment.location:
        query["location"] = appointment.location
    return f"https://calendar.google.com/calendar/render?{urlencode(query)}"


def ics_filename(appointment: Appointment) -> str:
    return f"meeting-{appointment.start.astimezone(dt.UTC):%Y%m%d-%H%M}.ics"
