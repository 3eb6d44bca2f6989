"""Tenancy (companies, users, memberships), API keys and request bookkeeping."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from .choices import ROLE_RANK, BusySource, QueueKind, Role
from .core.timeutils import canonical_timezone


def validate_timezone(value: str) -> None:
    if canonical_timezone(value) != value:
        raise ValidationError(f"Unknown time zone: {value}")


# Top-level paths a user's booking page (``/<slug>``) must not shadow; every
# entry point refuses them as a user's or a company's slug.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "v4", "spec", "static", "media", "accounts", "book", "rooms", "r", "feeds",
     "manage", "public", "login", "logout", "health", "optin", "host", "crm", "webhooks",
     "1t"}
)


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError("This slug is not allowed")


class Company(models.Model):
    """A workspace: everything else belongs to exactly one company."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, validators=[validate_not_reserved])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("slug", f"admin-{uuid.uuid4().hex[:8]}")
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email and hosts meetings at ``/<slug>``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    slug = models.SlugField(max_length=80, unique=True, validators=[validate_not_reserved])
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def public_name(self) -> str:
        """What public pages call the person: their name, else their slug (which is
        in the page's address anyway), never their email."""
        return self.full_name or self.slug

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.given_name


class Membership(models.Model):
    """A user's role in a company."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.company}"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class ApiKeyKind(models.TextChoices):
    """The two kinds of credentials meetergo has (SPEC section 3)."""

    PLATFORM = "platform", "Platform API key (ak_live:...)"
    PERSONAL = "personal", "Personal access token (rgo-...)"


class ApiKey(models.Model):
    """A credential of one company: a platform API key, made by an owner or admin,
    which may act for any user of the company; or a personal access token, which acts
    only as its maker. Only the SHA-256 digest of the secret is stored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=10, choices=ApiKeyKind.choices,
                            default=ApiKeyKind.PLATFORM)
    # The key acts as this user unless a request names another, and never with more
    # rights than this user has now; a departed user's keys go with them.
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    # Personal tokens carry no id, so they are found by this digest.
    secret_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name or 'API key'} ({self.uuid})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``, kept 24 hours.

    A record belongs to one credential acting for one user (``scope``), so nobody
    else replays it; its stored answer is encrypted (``scheduling/core/api/idempotency.py``).
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    # Who may replay it: a digest of the credential and the acted-for user.
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)  # null while in flight
    response_content = models.BinaryField(null=True)  # the rendered bytes, replayed as sent
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in flight'})"




# --- Scheduling: queues, availability schedules, meeting types, busy time -----------


class Queue(models.Model):
    """A team that shares a meeting type: round robin (any free member takes the
    booking) or co-host (all members attend together)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=QueueKind.choices,
                            default=QueueKind.ROUND_ROBIN)
    members = models.ManyToManyField(User, through="QueueMember", related_name="queues")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="queue_memberships")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="queue_member_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.queue}"


class AvailabilitySchedule(models.Model):
    """A user's weekly working hours in the schedule's own time zone.

    ``weekly`` is stored exactly as the API shows it: ``{"monday": [{"start": "09:00",
    "end": "17:00"}], ...}`` with sorted, non-overlapping intervals and an end of
    ``"24:00"`` for midnight; services/schedules.py validates it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="schedules")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_default = models.BooleanField(default=False)
    weekly = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-is_default", "name", "pk"]
        constraints = [
            # One default per user and company, however many requests race.
            models.UniqueConstraint(
                fields=["company", "user"], condition=models.Q(is_default=True),
                name="schedule_one_default_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class ScheduleOverride(models.Model):
    """Other hours on one date: ``intervals`` like a weekday's; empty is a day off."""

    schedule = models.ForeignKey(
        AvailabilitySchedule, on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField()
    intervals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="override_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} ({'day off' if not self.intervals else 'other hours'})"


class MeetingType(models.Model):
    """Something that can be booked: its durations, rules, channels, form and hosts.

    Hosts are either ``hosts`` (one-on-one) or the members of ``queue``. ``owner``
    is the user who manages it (a member may change only their own).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="meeting_types")
    # A departed owner leaves the meeting type to the company's admins; its hosts,
    # queue and bookings stay.
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_meeting_types")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    durations = models.JSONField(default=list)  # minutes, ascending
    default_duration = models.PositiveIntegerField()
    slot_interval = models.PositiveIntegerField(null=True, blank=True)  # None: the duration
    buffer_before = models.PositiveIntegerField(default=0)
    buffer_after = models.PositiveIntegerField(default=0)
    minimum_notice = models.PositiveIntegerField(default=0)
    max_days_in_advance = models.PositiveIntegerField(null=True, blank=True)
    # [{"scope", "period", "max", "unit"}] (scheduling/services/limits.py).
    booking_limits = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    form_fields = models.JSONField(default=list, blank=True)
    double_opt_in = models.BooleanField(default=False)
    require_host_confirmation = models.BooleanField(default=False)
    allow_phone_only_booking = models.BooleanField(default=False)
    ics_title = models.CharField(max_length=200, blank=True)
    ics_description = models.TextField(max_length=2000, blank=True)
    hosts = models.ManyToManyField(User, blank=True, related_name="hosted_meeting_types")
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.RESTRICT, related_name="meeting_types"
    )  # RESTRICT, not PROTECT: deleting the whole company still deletes both
    # The meeting type's own hours for every host; without it each host's default.
    schedule = models.ForeignKey(
        AvailabilitySchedule, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="meeting_types",
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "slug"], name="meeting_type_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(default_duration__gt=0), name="meeting_type_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(slot_interval__isnull=True) | models.Q(slot_interval__gt=0),
                name="meeting_type_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def kind(self) -> str:
        """``one_on_one``, or the queue's kind."""
        return self.queue.kind if self.queue_id else "one_on_one"


class BusyTime(models.Model):
    """Time that occupies a user outside Termin's own appointments: blocked by hand
    in the admin, or read from an external calendar. Time read from a calendar
    connection counts only in the connection's company (``company``), so one company
    can never block a person who also works for another; rows without a company
    block the person everywhere."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="busy_times")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=20, choices=BusySource.choices,
                              default=BusySource.MANUAL)
    label = models.CharField(max_length=200, blank=True)
    # The external calendar it was read from; its rows are replaced on every sync.
    connection = models.ForeignKey("CalendarConnection", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="busy_times")
    # For a CalDAV connection, the calendar of the account it was read from.
    caldav_calendar = models.ForeignKey("CalDAVCalendar", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="busy_times")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name_plural = "busy times"
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["user", "start"], name="busy_user_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="busy_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} busy {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"


# --- Calendar connections: external feeds in, the user's own feed out -------------


class CalendarConnectionType(models.TextChoices):
    ICS = "ics", "iCalendar feed URL"
    CALDAV = "caldav", "CalDAV account"


class CalendarConnection(models.Model):
    """An external calendar a user subscribes to: its events are their busy time.

    Synced by Celery (services/calendars.py): ``etag``/``last_modified`` make the
    next fetch conditional; a failed fetch keeps the last good busy times and
    records ``last_error``. A CalDAV connection (services/caldav.py) is an account:
    ``url`` is its server, ``credentials`` its sealed username and password, and
    its calendars are ``CalDAVCalendar`` rows.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE,
                                related_name="calendar_connections")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_connections")
    type = models.CharField(max_length=10, choices=CalendarConnectionType.choices,
                            default=CalendarConnectionType.ICS)
    url = models.CharField(max_length=2000)
    name = models.CharField(max_length=200, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)  # the header, as sent
    # When the feed's body was last read whole: the busy window starts from there.
    fetched_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    busy_count = models.PositiveIntegerField(default=0)
    # A CalDAV account's username and password, sealed (scheduling/sealed.py); never shown.
    credentials = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["company", "user"], name="calconn_company_user_idx")]

    def __str__(self) -> str:
        return self.name or self.url


class CalDAVCalendar(models.Model):
    """One calendar of a CalDAV connection's account, as discovery found it: whether
    its events are busy time, whether bookings are written into it (one calendar
    per connection at most, a database constraint), and how its last read went."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE,
                                   related_name="caldav_calendars")
    url = models.CharField(max_length=2000)
    name = models.CharField(max_length=200, blank=True)
    busy = models.BooleanField(default=True)
    receives_bookings = models.BooleanField(default=False)
    # Whether the server answers free-busy queries on it; None until asked.
    free_busy = models.BooleanField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    busy_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "url"], name="caldav_calendar_url_once"),
            models.UniqueConstraint(fields=["connection"],
                                    condition=models.Q(receives_bookings=True),
                                    name="caldav_one_booking_calendar"),
        ]

    def __str__(self) -> str:
        return self.name or self.url


class CalendarEventCopy(models.Model):
    """Termin's event for one appointment in one CalDAV connection's booking calendar,
    and the outbox of its delivery.

    Every change of the appointment marks the row due (``due_at``) in its own
    transaction; a task and the periodic sweep then bring the server in line: the
    event present (``href``) while the appointment is confirmed and hosted by the
    connection's user, absent otherwise. ``version`` grows with every change, so an
    attempt that read an older state leaves the row due. Retries back off and wait
    in ``due_at``, never in the broker.
    """

    appointment = models.ForeignKey("Appointment", on_delete=models.CASCADE,
                                    related_name="calendar_copies")
    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE,
                                   related_name="event_copies")
    calendar_url = models.CharField(max_length=2000, blank=True)  # where ``href`` lies
    href = models.CharField(max_length=2000, blank=True)  # the event, while written
    version = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The lease of the worker attempting it; an attempt that dies leaves it to expire.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "connection"],
                                    name="calendar_event_copy_once"),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="calendar_event_copy_due",
                         condition=models.Q(due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} in {self.connection_id}: {self.href or 'not written'}"


class CalendarFeed(models.Model):
    """A user's secret feed of their appointments in one company. The address
    carries ``nonce`` signed with the server's key (``services/calendars.py``); a new
    nonce regenerates the address and retires the old one."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    nonce = models.CharField(max_length=43, unique=True)
    created_at = models.DateTimeField(default=now, editable=False)
    regenerated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="calendar_feed_unique_user"),
        ]

    def __str__(self) -> str:
        return f"Appointments feed of {self.user} in {self.company}"


# --- Bookings: appointments, their hosts and attendees ----------------------------


class AppointmentStatus(models.TextChoices):
    PENDING_OPTIN = "pending_optin", "Waiting for the attendee's opt-in"
    PENDING_HOST = "pending_host", "Waiting for the host's confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    DECLINED = "declined", "Declined by the host"
    EXPIRED = "expired", "Expired unconfirmed"


# Statuses that hold their hosts' time (a provisional booking holds its slot).
ACTIVE_STATUSES = frozenset({AppointmentStatus.PENDING_OPTIN, AppointmentStatus.PENDING_HOST,
                             AppointmentStatus.CONFIRMED})
PENDING_STATUSES = frozenset({AppointmentStatus.PENDING_OPTIN, AppointmentStatus.PENDING_HOST})


class AppointmentSource(models.TextChoices):
    """Where a booking came from; bookings through the API are metered."""

    API = "api", "API"
    PAGE = "page", "Booking page"
    ADMIN = "admin", "Admin"


class CancelSource(models.TextChoices):
    """Who ended an appointment (``cancel.actionSource`` in its answers)."""

    ATTENDEE = "attendee", "The attendee (manage page or x-appointment-secret)"
    HOST = "host", "A host of the appointment"
    ADMIN = "admin", "An admin or owner, or staff in the admin console"
    SYSTEM = "system", "Termin (a provisional hold expired)"


def new_manage_nonce() -> str:
    """A fresh value for ``Appointment.manage_nonce`` (64 random bits)."""
    import secrets

    return secrets.token_urlsafe(8)


class Appointment(models.Model):
    """A booked meeting (or a provisional one holding its slot until confirmed).

    Its hosts' time is held by ``AppointmentHost`` rows, which carry the exclusion
    constraint; the booking and appointment services keep them in step with
    ``start``, ``end`` and ``status`` (services/rules.py writes them).
    ``secret_digest`` is the SHA-256 of the attendee's secret.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="appointments")
    # A deleted meeting type leaves its appointments, with the title they were booked as.
    meeting_type = models.ForeignKey(MeetingType, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="appointments")
    meeting_type_title = models.CharField(max_length=200, blank=True)
    hosts = models.ManyToManyField(User, through="AppointmentHost",
                                   related_name="hosted_appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.CONFIRMED)
    channel = models.CharField(max_length=30, blank=True)
    location = models.CharField(max_length=500, blank=True)
    meeting_link = models.URLField(max_length=500, blank=True)
    # The appointment's own room (channel ``connect``): its join page is the meeting link.
    room_token = models.CharField(max_length=43, unique=True)
    ics_title = models.CharField(max_length=200, blank=True)
    ics_description = models.TextField(max_length=2000, blank=True)
    internal_note = models.TextField(blank=True)
    bringalong_emails = models.JSONField(default=list, blank=True)
    skip_notifications = models.BooleanField(default=False)
    secret_digest = models.CharField(max_length=64, editable=False)
    # Signed into the attendee's manage links (scheduling/links.py) and replaced on
    # every reschedule and cancellation, so links sent before stop working.
    manage_nonce = models.CharField(max_length=22, default=new_manage_nonce, editable=False)
    source = models.CharField(max_length=10, choices=AppointmentSource.choices,
                              default=AppointmentSource.API)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # Who cancelled or declined it, and their id (a user's or the attendee's uuid), as
    # text so the record outlives the user; blank for appointments cancelled before
    # these were kept.
    cancel_source = models.CharField(max_length=10, choices=CancelSource.choices, blank=True)
    cancel_actor = models.CharField(max_length=36, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["company", "start"], name="appointment_company_start_idx"),
            models.Index(fields=["company", "source", "created_at"], name="appointment_usage_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="appointment_hold_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="appointment_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_type_title} at {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class AppointmentHost(models.Model):
    """One host's hold on the time of one appointment.

    ``start``/``end``/``active`` copy the appointment's times and whether its
    status holds time. On PostgreSQL an exclusion constraint (migration 0005)
    refuses two active rows of one host with overlapping ``[start, end)``, so no
    race can double-book a host; elsewhere bookings are serialised.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="host_rows")
    host = models.ForeignKey(User, on_delete=models.CASCADE, related_name="appointment_holds")
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["host", "start"], name="appointment_host_start_idx")]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "host"],
                                    name="appointment_host_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.host} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"


class Attendee(models.Model):
    """Someone attending an appointment; ``uuid`` is the ``attendeeId`` webhooks carry.

    The booker is the primary attendee; bring-along guests are attendees too.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="attendees")
    is_primary = models.BooleanField(default=True)
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=10, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    receive_reminders = models.BooleanField(default=True)
    notes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-is_primary", "pk"]
        indexes = [models.Index(fields=["email"], name="attendee_email_idx")]

    def __str__(self) -> str:
        return self.email or self.phone or str(self.uuid)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# --- Rooms: a workspace's named meeting rooms and the rooms of bookings ------------


class Room(models.Model):
    """A meeting room with a public join page.

    A workspace's named rooms have ``appointment`` empty and are joined at
    ``/rooms/<company slug>/<name>``. A booking on the ``connect`` channel has a
    room of its own, reached by the appointment's ``room_token`` at
    ``/rooms/<room_token>``; its row is made the first time someone joins, so
    timeline entries can point at it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="rooms")
    name = models.SlugField(max_length=100, help_text="Part of the join page's address")
    display_name = models.CharField(max_length=200)
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="room"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["display_name", "pk"]
        constraints = [
            # Named rooms are addressed by company and name; a booking's room by its token.
            models.UniqueConstraint(fields=["company", "name"],
                                    condition=models.Q(appointment__isnull=True),
                                    name="room_unique_name_per_company"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


# --- Notifications: the log of emails sent ---------------------------------------------


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirmation to an attendee"
    REQUESTED = "requested", "Request received, to an attendee"
    OPTIN = "optin", "Double opt-in link"
    CANCELLATION = "cancellation", "Cancellation to an attendee"
    DECLINED = "declined", "Declined, to an attendee"
    RESCHEDULE = "reschedule", "Reschedule to an attendee"
    REMINDER = "reminder", "Reminder to an attendee"
    HOST_BOOKED = "host_booked", "New booking, to a host"
    HOST_REQUEST = "host_request", "Confirmation request, to a host"
    HOST_CANCELLED = "host_cancelled", "Cancellation, to a host"
    HOST_RESCHEDULED = "host_rescheduled", "Reschedule, to a host"


class SentEmail(models.Model):
    """One email sent about an appointment: what went to whom, and when.

    ``start`` is the appointment's start the email spoke of and ``lead_minutes``
    how long before it a reminder was due (0 for other kinds). The unique
    constraint is what keeps a reminder from going out twice, even when two
    sweeps race: the row is written in the transaction that sends the email.
    A rescheduled appointment has a new ``start``, so its reminders are due again.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="sent_emails")
    recipient = models.EmailField()
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    subject = models.CharField(max_length=300)
    language = models.CharField(max_length=10)
    start = models.DateTimeField()
    lead_minutes = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "sent_at"], name="sent_email_recipient_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "recipient", "kind", "lead_minutes", "start"],
                condition=models.Q(kind="reminder"), name="sent_email_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} at {self.sent_at:%Y-%m-%d %H:%M} UTC"


class OneTimeBookingLink(models.Model):
    """A link to a meeting type's page that books once (``/1t/<token>``).

    ``used_at`` is set by the booking that uses it, in the booking's transaction,
    with an UPDATE that matches only an unused, unexpired link: of two bookings
    racing through it, the second finds no row and is refused. ``expires_at`` null:
    the link never expires.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE,
                                related_name="one_time_links")
    meeting_type = models.ForeignKey(MeetingType, on_delete=models.CASCADE,
                                     related_name="one_time_links")
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    appointment = models.OneToOneField(Appointment, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="one_time_link")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=True) | models.Q(used_at__isnull=False),
                name="one_time_link_booked_is_used"),
        ]

    def __str__(self) -> str:
        return f"One-time link to {self.meeting_type_id} ({self.token[:6]}...)"
