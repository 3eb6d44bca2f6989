"""Plain-dict shapes shared by the API and the webhook outbox, so an event
carries a resource exactly as its endpoint shows it."""

from django.conf import settings

from .models import (
    Appointment,
    AppointmentStatus,
    Attendee,
    AvailabilitySchedule,
    CancelSource,
    MeetingType,
    Membership,
    User,
)
from .timeutils import get_zone, iso

# Statuses in which an appointment no longer takes place: ``isCancelled`` in its answers.
ENDED_STATUSES = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.DECLINED,
                            AppointmentStatus.EXPIRED})
# What ``cancel.actionSource`` reads for rows ended before the source was kept.
_SOURCE_BY_STATUS = {AppointmentStatus.DECLINED: CancelSource.HOST,
                     AppointmentStatus.EXPIRED: CancelSource.SYSTEM}


def booking_url(user: User) -> str:
    return f"{settings.SITE_URL}/{user.slug}"


def meeting_type_url(meeting_type: MeetingType) -> str | None:
    """The meeting type's booking page, ``<SITE_URL>/<owner slug>/<meeting type slug>``."""
    if meeting_type.owner_id is None:
        return None
    return f"{settings.SITE_URL}/{meeting_type.owner.slug}/{meeting_type.slug}"


def user_payload(user: User, role: str | None) -> dict:
    return {
        "userId": str(user.uuid),
        "id": str(user.uuid),
        "email": user.email,
        "firstname": user.given_name,
        "lastname": user.family_name,
        "givenName": user.given_name,
        "familyName": user.family_name,
        "timezone": user.timezone,
        "slug": user.slug,
        "bookingUrl": booking_url(user),
        "role": role,
        "createdAt": iso(user.date_joined),
    }


def provisioned_user_payload(membership: Membership, schedule: AvailabilitySchedule,
                             meeting_type: MeetingType) -> dict:
    """The answer to ``POST /v4/user``: meetergo's ``{userId, availabilityId,
    meetingTypeId, bookingUrl, companyId}`` beside the user's own fields, where
    ``bookingUrl`` is the provisioned meeting type's page (meetergo's meaning) rather
    than the user's."""
    return {
        **user_payload(membership.user, membership.role),
        "availabilityId": str(schedule.uuid),
        "meetingTypeId": str(meeting_type.uuid),
        "bookingUrl": meeting_type_url(meeting_type),
        "companyId": str(membership.company.uuid),
    }


# --- appointments ------------------------------------------------------------------


def attendee_payload(attendee: Attendee) -> dict:
    """An attendee: meetergo's ``id`` beside Termin's ``attendeeId`` (the same uuid)."""
    key = str(attendee.uuid)
    return {
        "id": key,
        "attendeeId": key,
        "email": attendee.email or None,
        "firstname": attendee.first_name,
        "lastname": attendee.last_name,
        "fullname": attendee.full_name,
        "phone": attendee.phone or None,
        "language": attendee.language or None,
        "timezone": attendee.timezone or None,
        "receiveReminders": attendee.receive_reminders,
        "notes": attendee.notes,
    }


def host_payload(host: User, *, with_email: bool = True) -> dict:
    """A host as meetergo's appointments and booking events show it. The attendee's
    view leaves the email out, as the public pages do."""
    return {
        "id": str(host.uuid),
        "email": host.email if with_email else None,
        "givenName": host.given_name,
        "familyName": host.family_name,
        "fullName": host.full_name,
        "slug": host.slug,
    }


def primary_attendee(appointment: Appointment, attendees: list[Attendee] | None = None
                     ) -> Attendee | None:
    """The booker (the first attendee when none is marked), from ``attendees`` when
    given, else from the appointment's."""
    if attendees is None:
        attendees = list(appointment.attendees.all())
    return next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)


def cancel_payload(appointment: Appointment, zone=None) -> dict | None:
    """meetergo's ``cancel``: who ended the appointment, when and why; None while it
    takes place."""
    if appointment.status not in ENDED_STATUSES:
        return None
    source = appointment.cancel_source or _SOURCE_BY_STATUS.get(appointment.status)
    return {
        "actionSource": source or None,
        "actionAt": iso(appointment.cancelled_at or appointment.updated_at, zone),
        "actionBy": appointment.cancel_actor or None,
        "reason": appointment.cancel_reason or None,
    }


def appointment_payload(appointment: Appointment, *, internal: bool = True,
                        hosts: list[User] | None = None,
                        attendees: list[Attendee] | None = None) -> dict:
    """An appointment as ``/v4/appointment/:id`` shows it and booking events carry it:
    Termin's fields and meetergo's documented ones side by side.

    Times are in the attendee's time zone when they gave one, else UTC, always
    with a numeric offset. ``internal=False`` leaves out what only the company
    sees (the attendee's view). Reads only what ``selectors.appointments_for_payload``
    loads (meeting type, company, hosts, attendees), so a page of them costs no
    query per row; ``hosts`` and ``attendees``, when given, are read instead of the
    appointment's (a booking passes the rows it has just written). meetergo's
    ``secret`` is not here: Termin keeps only its digest and shows the secret once,
    in the booking's answer.
    """
    attendees = list(appointment.attendees.all()) if attendees is None else attendees
    hosts = list(appointment.hosts.all()) if hosts is None else hosts
    primary = primary_attendee(appointment, attendees)
    zone = get_zone(primary.timezone) if primary and primary.timezone else None
    meeting_type = appointment.meeting_type
    host_ids = [str(host.uuid) for host in hosts]
    body = {
        "id": str(appointment.uuid),
        "appointmentId": str(appointment.uuid),
        "meetingTypeId": str(meeting_type.uuid) if meeting_type else None,
        "meetingTypeTitle": appointment.meeting_type_title,
        "status": appointment.status,
        "start": iso(appointment.start, zone),
        "end": iso(appointment.end, zone),
        "duration": appointment.duration,
        **_placement_fields(appointment),
        "hostIds": host_ids,
        "hosts": [host_payload(host, with_email=internal) for host in hosts],
        **_attendee_fields(attendees, primary),
        "bringalongEmails": appointment.bringalong_emails,
        "isCancelled": appointment.status in ENDED_STATUSES,
        "cancel": cancel_payload(appointment, zone),
        **_meeting_fields(appointment, host_ids),
        "companyId": str(appointment.company.uuid),
        "expiresAt": iso(appointment.hold_expires_at, zone),
        "confirmedAt": iso(appointment.confirmed_at, zone),
        "cancelledAt": iso(appointment.cancelled_at, zone),
        "cancelReason": appointment.cancel_reason or None,
        "noShow": appointment.no_show_at is not None,
        "createdAt": iso(appointment.created_at, zone),
        "updatedAt": iso(appointment.updated_at, zone),
    }
    if internal:
        body.update(internalNote=appointment.internal_note, source=appointment.source,
                    skipNotifications=appointment.skip_notifications)
    return body


def _placement_fields(appointment: Appointment) -> dict:
    """Where it happens and what the calendar entry says."""
    meeting_type = appointment.meeting_type
    return {
        "channel": appointment.channel,
        "location": appointment.location or None,
        "meetingLink": appointment.meeting_link or None,
        "icsTitle": appointment.ics_title or (meeting_type.ics_title if meeting_type else ""),
        "icsDescription": appointment.ics_description
        or (meeting_type.ics_description if meeting_type else ""),
    }


def _attendee_fields(attendees: list[Attendee], primary: Attendee | None) -> dict:
    bodies = [attendee_payload(a) for a in attendees]
    return {
        "attendee": next((b for a, b in zip(attendees, bodies, strict=True) if a is primary),
                         None),
        "attendees": bodies,
        "attendeeIds": [b["id"] for b in bodies],
    }


def _meeting_fields(appointment: Appointment, host_ids: list[str]) -> dict:
    """meetergo's nested ``meetingInfo``, ``hostingInfo`` and ``meetingType``."""
    meeting_type = appointment.meeting_type
    meeting_link = appointment.meeting_link or None
    return {
        "meetingInfo": {
            "name": appointment.meeting_type_title,
            "description": meeting_type.description if meeting_type else "",
            "duration": appointment.duration,
            "channel": appointment.channel,
            "meetingLink": meeting_link,
        },
        "hostingInfo": {"mainHost": host_ids[0] if host_ids else None,
                        "meetingLink": meeting_link},
        "meetingType": {
            "id": str(meeting_type.uuid), "slug": meeting_type.slug,
            "meetingInfo": {"name": meeting_type.title,
                            "duration": meeting_type.default_duration},
        } if meeting_type else None,
    }
