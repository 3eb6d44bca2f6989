"""Shapes shared by the API and the webhook outbox, declared once
(scheduling/core/api/shapes.py), so an event carries a resource exactly as its
endpoint shows it."""

from operator import attrgetter
from typing import NamedTuple

from django.conf import settings

from .choices import Role
from .core.api.shapes import (
    Boolean,
    Choice,
    Email,
    Instant,
    Integer,
    ListOf,
    Many,
    Mapping,
    One,
    Shape,
    Text,
    Url,
    Uuid,
    itself,
)
from .core.timeutils import get_zone, iso
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


def booking_url(user: User) -> str:
    return f"{settings.SITE_URL}/{user.slug}"


def meeting_type_url(meeting_type: MeetingType) -> str | None:
    """The meeting type's booking page, ``<SITE_URL>/<owner slug>/<meeting type slug>``."""
    if meeting_type.owner_id is None:
        return None
    return f"{settings.SITE_URL}/{meeting_type.owner.slug}/{meeting_type.slug}"


class _Member(NamedTuple):
    """A user as one company sees them (the role is that company's)."""

    user: User
    role: str | None


USER = Shape("User", {
    "userId": Uuid("user.uuid"),
    "id": Uuid("user.uuid"),
    "email": Email("user.email"),
    "firstname": Text("user.given_name"),
    "lastname": Text("user.family_name"),
    "givenName": Text("user.given_name"),
    "familyName": Text("user.family_name"),
    "timezone": Text("user.timezone"),
    "slug": Text("user.slug"),
    "bookingUrl": Url(lambda member: booking_url(member.user)),
    "role": Choice(Role.choices, "role"),
    "createdAt": Instant("user.date_joined"),
}, prepare=_Member)


class _Provisioned(NamedTuple):
    user: User
    role: str
    schedule: AvailabilitySchedule
    meeting_type: MeetingType
    company: object


PROVISIONED_USER = USER.extend("ProvisionedUser", {
    "availabilityId": Uuid("schedule.uuid", "The new user's default schedule"),
    "meetingTypeId": Uuid("meeting_type.uuid", "The meeting type the new user hosts"),
    "bookingUrl": Url(lambda provisioned: meeting_type_url(provisioned.meeting_type),
                      "meetergo's meaning: the meeting type's page <site>/<user>/<meeting "
                      "type> (elsewhere a user's bookingUrl is their own page)"),
    "companyId": Uuid("company.uuid"),
}, prepare=lambda membership, schedule, meeting_type: _Provisioned(
    membership.user, membership.role, schedule, meeting_type, membership.company))


def user_payload(user: User, role: str | None) -> dict:
    return USER.build(user, role)


def provisioned_user_payload(membership: Membership, schedule: AvailabilitySchedule,
                             meeting_type: MeetingType) -> dict:
    """The answer to ``POST /v4/user``: meetergo's ``{userId, availabilityId,
    meetingTypeId, bookingUrl, companyId}`` beside the user's own fields, where
    ``bookingUrl`` is the provisioned meeting type's page (meetergo's meaning) rather
    than the user's."""
    return PROVISIONED_USER.build(membership, schedule, meeting_type)


# --- appointments ------------------------------------------------------------------

# Statuses in which an appointment no longer takes place: ``isCancelled`` in its answers.
ENDED_STATUSES = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.DECLINED,
                            AppointmentStatus.EXPIRED})
# What ``cancel.actionSource`` reads for rows ended before the source was kept.
_SOURCE_BY_STATUS = {AppointmentStatus.DECLINED: CancelSource.HOST,
                     AppointmentStatus.EXPIRED: CancelSource.SYSTEM}


def primary_attendee(appointment: Appointment, attendees: list[Attendee] | None = None
                     ) -> Attendee | None:
    """The booker (the first attendee when none is marked), from ``attendees`` when
    given, else from the appointment's."""
    if attendees is None:
        attendees = list(appointment.attendees.all())
    return next((a for a in attendees if a.is_primary), attendees[0] if attendees else None)


ATTENDEE = Shape("AppointmentAttendee", description=(
    "An attendee as appointments and booking events show them."), fields={
    "id": Uuid("uuid", "meetergo's name of attendeeId (the same value)"),
    "attendeeId": Uuid("uuid"),
    "email": Email(lambda attendee: attendee.email or None, null=True),
    "firstname": Text("first_name"),
    "lastname": Text("last_name"),
    "fullname": Text("full_name"),
    "phone": Text(lambda attendee: attendee.phone or None, null=True),
    "language": Text(lambda attendee: attendee.language or None, null=True),
    "timezone": Text(lambda attendee: attendee.timezone or None, null=True),
    "receiveReminders": Boolean("receive_reminders"),
    "notes": Mapping("notes"),
})
HOST = Shape("AppointmentHostOutput", description=(
    "A host as meetergo shows it (``oldBooking.hosts.map(h => h.id)``)."), fields={
    "id": Uuid("uuid"),
    "email": Email("email", "null in the attendee's view (/v4/public)", null=True),
    "givenName": Text("given_name"),
    "familyName": Text("family_name"),
    "fullName": Text("full_name"),
    "slug": Text("slug"),
})
# The attendee's view leaves the host's email out, as the public pages do.
HOST_FOR_ATTENDEE = HOST.variant({"email": Email(lambda host: None)})


class _AppointmentFacts:
    """What several keys of an appointment's answer read, worked out once. Times are
    in the attendee's time zone when they gave one, else UTC."""

    def __init__(self, appointment: Appointment, hosts: list[User] | None = None,
                 attendees: list[Attendee] | None = None):
        self.appointment = appointment
        self.meeting_type = appointment.meeting_type
        self.attendees = list(appointment.attendees.all()) if attendees is None else attendees
        self.hosts = list(appointment.hosts.all()) if hosts is None else hosts
        self.host_ids = [str(host.uuid) for host in self.hosts]
        self.primary = primary_attendee(appointment, self.attendees)
        zone = self.primary.timezone if self.primary else ""
        self.zone = get_zone(zone) if zone else None
        self.attendee_bodies = [ATTENDEE.build(a) for a in self.attendees]
        self.meeting_link = appointment.meeting_link or None
        self.ended = appointment.status in ENDED_STATUSES

    def at(self, value):
        return iso(value, self.zone)

    def attendee_body(self) -> dict | None:
        return next((body for attendee, body in zip(self.attendees, self.attendee_bodies,
                                                    strict=True)
                     if attendee is self.primary), None)

    def from_meeting_type(self, name: str, default=""):
        return getattr(self.meeting_type, name) if self.meeting_type else default


def _local(name: str):
    """An instant of the appointment in the answer's zone."""
    return lambda facts: facts.at(getattr(facts.appointment, name))


# meetergo's ``cancel``: who ended the appointment, when and why.
CANCEL = Shape("AppointmentCancelOutput", {
    "actionSource": Choice(
        CancelSource.choices, lambda facts: facts.appointment.cancel_source
        or _SOURCE_BY_STATUS.get(facts.appointment.status) or None,
        "Who ended it: attendee, host, admin (also staff in the admin console and a "
        "host's removal), system (a provisional hold expired); null for appointments "
        "cancelled before Termin kept it", null=True),
    "actionAt": Instant(lambda facts: facts.at(facts.appointment.cancelled_at
                                               or facts.appointment.updated_at)),
    "actionBy": Text(lambda facts: facts.appointment.cancel_actor or None,
                     "The id of the user or attendee who did it, if known", null=True),
    "reason": Text(lambda facts: facts.appointment.cancel_reason or None, null=True),
})
MEETING_INFO = Shape("AppointmentMeetingInfoOutput", {
    "name": Text("appointment.meeting_type_title"),
    "description": Text(lambda facts: facts.from_meeting_type("description")),
    "duration": Integer("appointment.duration"),
    "channel": Text("appointment.channel"),
    "meetingLink": Url("meeting_link", null=True),
})
HOSTING_INFO = Shape("AppointmentHostingInfoOutput", {
    "mainHost": Uuid(lambda facts: facts.host_ids[0] if facts.host_ids else None,
                     "The first host's id", null=True),
    "meetingLink": Url("meeting_link", null=True),
})
MEETING_TYPE_OF_APPOINTMENT = Shape("AppointmentMeetingTypeOutput", {
    "id": Uuid("uuid"),
    "slug": Text("slug"),
    "meetingInfo": One(Shape("AppointmentMeetingTypeInfoOutput", {
        "name": Text("title"),
        "duration": Integer("default_duration"),
    }), itself),
})
# An appointment as ``/v4/appointment/:id`` shows it and booking events carry it:
# Termin's fields and meetergo's documented ones side by side. meetergo's ``secret``
# is not here: Termin keeps only its digest and shows the secret once, in the
# booking's answer.
APPOINTMENT = Shape("Appointment", {
    "id": Uuid("appointment.uuid"),
    "appointmentId": Uuid("appointment.uuid"),
    "meetingTypeId": Uuid("meeting_type.uuid", null=True),
    "meetingTypeTitle": Text("appointment.meeting_type_title"),
    "status": Choice(AppointmentStatus.choices, "appointment.status"),
    "start": Instant(_local("start")),
    "end": Instant(_local("end")),
    "duration": Integer("appointment.duration"),
    "channel": Text("appointment.channel"),
    "location": Text(lambda facts: facts.appointment.location or None, null=True),
    "meetingLink": Url("meeting_link", null=True),
    "icsTitle": Text(lambda facts: facts.appointment.ics_title
                     or facts.from_meeting_type("ics_title")),
    "icsDescription": Text(lambda facts: facts.appointment.ics_description
                           or facts.from_meeting_type("ics_description")),
    "hostIds": ListOf(Uuid, attrgetter("host_ids")),
    "hosts": Many(HOST, "hosts"),
    "attendee": One(ATTENDEE, lambda facts: facts.attendee_body(), built=True),
    "attendees": Many(ATTENDEE, attrgetter("attendee_bodies"), built=True),
    "attendeeIds": ListOf(Uuid, lambda facts: [body["id"] for body in facts.attendee_bodies]),
    "bringalongEmails": ListOf(Email, "appointment.bringalong_emails"),
    "isCancelled": Boolean(attrgetter("ended"), "true once cancelled, declined or expired"),
    "cancel": One(CANCEL, lambda facts: facts if facts.ended else None,
                  "null while it takes place", null=True),
    "meetingInfo": One(MEETING_INFO, itself),
    "hostingInfo": One(HOSTING_INFO, itself),
    "meetingType": One(MEETING_TYPE_OF_APPOINTMENT, "meeting_type",
                       "null once the meeting type is deleted", null=True),
    "companyId": Uuid("appointment.company.uuid"),
    "expiresAt": Instant(_local("hold_expires_at"), null=True),
    "confirmedAt": Instant(_local("confirmed_at"), null=True),
    "cancelledAt": Instant(_local("cancelled_at"), null=True),
    "cancelReason": Text(lambda facts: facts.appointment.cancel_reason or None, null=True),
    "noShow": Boolean(lambda facts: facts.appointment.no_show_at is not None),
    "createdAt": Instant(_local("created_at")),
    "updatedAt": Instant(_local("updated_at")),
    "internalNote": Text("appointment.internal_note"),
    "source": Text("appointment.source"),
    "skipNotifications": Boolean("appointment.skip_notifications"),
}, prepare=_AppointmentFacts)
# The attendee's view (``/v4/public``): without what only the company sees.
APPOINTMENT_FOR_ATTENDEE = APPOINTMENT.extend(
    "PublicAppointment", {"hosts": Many(HOST_FOR_ATTENDEE, "hosts")},
    drop=("internalNote", "source", "skipNotifications"))


def appointment_payload(appointment: Appointment, *, internal: bool = True,
                        hosts: list[User] | None = None,
                        attendees: list[Attendee] | None = None) -> dict:
    """``APPOINTMENT`` (``internal=False``: ``APPOINTMENT_FOR_ATTENDEE``) of
    ``appointment``. Reads only what ``selectors.appointments_for_payload`` loads (meeting type,
    company, hosts, attendees), so a page of them costs no query per row; ``hosts``
    and ``attendees``, when given, are read instead of the appointment's."""
    shape = APPOINTMENT if internal else APPOINTMENT_FOR_ATTENDEE
    return shape.build(appointment, hosts, attendees)


def attendee_payload(attendee: Attendee) -> dict:
    return ATTENDEE.build(attendee)
