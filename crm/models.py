"""Contacts, their timeline, CRM companies, tags and the audit log."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.timezone import now

from .choices import AuditVia, EventType

# Source fields of ``Contact.search_text``; saving any of them refreshes it.
SEARCH_SOURCE_FIELDS = frozenset({"first_name", "last_name", "email", "phone_number"})


def contact_search_text(first_name: str, last_name: str, email: str, phone_number: str) -> str:
    """The lower-cased text ``searchTerm`` matches as a substring.

    Computed in Python rather than by the database so that lower-casing is the
    same for the stored text and for the search term, whatever the database's
    locale. The phone's digits are added so "5678" finds "+49 30 1234 5678"
    however it was written. The benchmark's loader calls this too.
    """
    digits = "".join(ch for ch in phone_number if ch.isdigit())
    parts = [first_name, last_name, email, phone_number, digits]
    return " ".join(part for part in parts if part).lower()


class CrmCompany(models.Model):
    """An organisation contacts belong to, recognised by its email domain."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(
        "scheduling.Company", on_delete=models.CASCADE, related_name="crm_companies"
    )
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. example.com")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name = "CRM company"
        verbose_name_plural = "CRM companies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "domain"], condition=~Q(domain=""),
                name="crm_company_unique_domain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})" if self.domain else self.name


class Contact(models.Model):
    """A person who booked, joined a room, or was added by hand or import."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(
        "scheduling.Company", on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    # Stored lower-cased; "" when the contact is known by phone only.
    email = models.CharField(max_length=254, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    notes = models.TextField(blank=True)
    crm_company = models.ForeignKey(
        CrmCompany, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )
    additional_data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    no_show_count = models.PositiveIntegerField(default=0)
    # Timeline figures, kept current by contact_event_record() so lists never count.
    event_count = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("company"), Lower("email"), condition=~Q(email=""),
                name="crm_contact_unique_email",
                violation_error_message="A contact with this email already exists",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="crm_contact_created_idx"),
            models.Index(fields=["company", "-last_seen_at"], name="crm_contact_seen_idx"),
            models.Index(fields=["company", "account_owner"], name="crm_contact_owner_idx"),
            models.Index(fields=["company", "phone_number"], name="crm_contact_phone_idx"),
            models.Index(fields=["company", "last_name"], name="crm_contact_last_name_idx"),
            models.Index(fields=["company", "first_name"], name="crm_contact_first_name_idx"),
            models.Index(fields=["company", "email"], name="crm_contact_email_idx"),
        ]
        # PostgreSQL also has a trigram GIN index on search_text (migration 0002).

    def __str__(self) -> str:
        return self.name or self.email or self.phone_number or str(self.uuid)

    def save(self, *args, **kwargs):
        # search_text is derived, not a side effect: keep it in step with its sources.
        update_fields = kwargs.get("update_fields")
        self.search_text = contact_search_text(
            self.first_name, self.last_name, self.email, self.phone_number
        )
        if update_fields is not None and SEARCH_SOURCE_FIELDS & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def tag_names(self) -> list[str]:
        """Tags in the order they were added (uses prefetched rows when present)."""
        return [tag.name for tag in sorted(self.tags.all(), key=lambda tag: tag.pk)]


class ContactTag(models.Model):
    """One tag on one contact. A row per tag (rather than a list column) lets the
    automatic-tag task add a tag without rewriting, and so without ever losing,
    the tags a person set at the same moment, and gives the tag filter an index
    on every database."""

    company = models.ForeignKey("scheduling.Company", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "name"], name="crm_tag_unique_per_contact"),
        ]
        indexes = [models.Index(fields=["company", "name", "contact"], name="crm_tag_filter_idx")]

    def __str__(self) -> str:
        return self.name


class ContactEvent(models.Model):
    """One entry of a contact's timeline.

    The meeting type and room are kept by name beside a nullable link, so the
    timeline reads the same after they are deleted (and before they exist).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey("scheduling.Company", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    meeting_type_id = models.PositiveBigIntegerField(null=True, blank=True)
    meeting_type_title = models.CharField(max_length=200, null=True, blank=True)
    meeting_type_slug = models.CharField(max_length=200, null=True, blank=True)
    room_id = models.PositiveBigIntegerField(null=True, blank=True)
    room_name = models.CharField(max_length=200, null=True, blank=True)
    room_display_name = models.CharField(max_length=200, null=True, blank=True)
    # The booking's attendee, so GET /v4/crm/<attendeeId> finds the contact.
    attendee_id = models.UUIDField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=now)
    recorded_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at"], name="crm_event_timeline_idx"),
            models.Index(fields=["contact", "event_type"], name="crm_event_type_idx"),
            models.Index(fields=["company", "attendee_id"], name="crm_event_attendee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class AuditLogQuerySet(models.QuerySet):
    def delete(self):
        raise ValueError("Audit log entries are append-only")

    delete.queryset_only = True


class AuditLogEntry(models.Model):
    """An append-only record of who did what to which object.

    The links to the company and the users are cleared when those are deleted;
    the text beside each link keeps who and whose it was, so nothing cascades
    into the log.
    """

    company = models.ForeignKey(
        "scheduling.Company", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    company_name = models.CharField(max_length=200, blank=True)
    company_uuid = models.UUIDField(null=True, blank=True)
    # Who authenticated: the logged-in user, or the user who created the API key.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_name = models.CharField(max_length=301, blank=True)
    # Whom the request acted for (x-meetergo-api-user-id); the actor otherwise.
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    acting_for_email = models.CharField(max_length=254, blank=True)
    acting_for_name = models.CharField(max_length=301, blank=True)
    via = models.CharField(max_length=10, choices=AuditVia.choices)
    api_key_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    snapshot = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        # Related lookups and the deletion collector use this manager too, so no
        # queryset of entries can be deleted; clearing a link is an update.
        base_manager_name = "objects"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="crm_audit_created_idx"),
            models.Index(fields=["target_type", "target_id"], name="crm_audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit log entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log entries are append-only")
