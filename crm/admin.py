"""Staff screens for contacts: search, tag and owner filters, the timeline, CSV in and out.

Every write goes through crm.services, like the API: saving a contact here
validates, links, tags and announces it exactly as ``/v4/crm`` would.
"""

import csv
import io
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from scheduling.core.adminsite import (
    NONE,
    SHARED,
    VIEW,
    CompanyScopedAdmin,
    CompanyScopedInline,
    admin_access,
    is_operator,
)
from scheduling.core.api.filters import FilterSetListFilter
from scheduling.core.errors import DomainError
from scheduling.core.timeutils import iso
from scheduling.models import Company, User

from . import selectors, services
from .filters import ContactFilterSet
from .models import AuditLogEntry, Contact, ContactEvent, ContactTag, CrmCompany
from .services.bulk import summary
from .services.validation import PUBLIC_NAMES

FORM_FIELDS = ("first_name", "last_name", "email", "phone_number", "tags", "notes",
               "crm_company", "account_owner", "additional_data")
FORM_FIELD_FOR = {public: name for name, public in PUBLIC_NAMES.items()}
MAX_IMPORT_ROWS = 20_000
EXPORT_COLUMNS = ("id", "firstName", "lastName", "email", "phoneNumber", "tags", "notes",
                  "crmCompanyId", "accountOwnerId", "additionalData", "noShowCount",
                  "eventCount", "lastSeenAt", "createdAt", "updatedAt")
# Columns an import reads; "id" and the figures are the contact's own and ignored.
IMPORT_IGNORED = frozenset({"id", "noShowCount", "eventCount", "lastSeenAt", "createdAt",
                            "updatedAt"})


class ContactForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. Lead, Enterprise")

    class Meta:
        model = Contact
        fields = ("company", *FORM_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tags"].initial = ", ".join(self.instance.tag_names)

    def clean(self):
        cleaned = super().clean()
        company = cleaned.get("company") or getattr(self.instance, "company", None)
        if company is None:
            return cleaned
        data = self.service_data()
        try:
            services.contact_fields_clean(company=company, data=data, partial=False)
        except services.InvalidContact as exc:
            for error in exc.errors:
                self.add_error(FORM_FIELD_FOR.get(error["field"]), error["message"])
        # A duplicate email is refused by the model's unique constraint, which
        # ModelForm validation checks.
        return cleaned

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in FORM_FIELDS}
        data["crm_company"] = data["crm_company"].uuid if data["crm_company"] else None
        data["account_owner"] = data["account_owner"].uuid if data["account_owner"] else None
        return data


class ContactEventInline(CompanyScopedInline, admin.TabularInline):
    model = ContactEvent
    fields = ("occurred_at", "event_type", "meeting_type_title", "meeting_type_slug",
              "room_display_name", "room_name", "attendee_id", "metadata")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")
    extra = 0
    can_delete = False
    verbose_name_plural = "timeline (newest first)"
    read_only = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TagFilter(FilterSetListFilter):
    """Contacts having one tag, as ``tags`` narrows the API's list."""

    title = "tag"
    parameter_name = "tag"
    filterset_class = ContactFilterSet
    filter_name = "tags"

    def lookups(self, request, model_admin):
        tags = ContactTag.objects.all()
        if not is_operator(request):
            access = admin_access(request)
            tags = tags.filter(company=access.company if access else None)
        names = tags.order_by("name").values_list("name", flat=True).distinct()
        return [(name, name) for name in names[:200]]


class OwnerFilter(FilterSetListFilter):
    """Contacts of one account owner, as ``ownerId`` narrows the API's list (or of none)."""

    title = "account owner"
    parameter_name = "owner"
    filterset_class = ContactFilterSet
    filter_name = "ownerId"

    def lookups(self, request, model_admin):
        users = User.objects.filter(memberships__isnull=False)
        if not is_operator(request):
            access = admin_access(request)
            users = users.filter(memberships__company=access.company if access else None)
        users = users.distinct().order_by("email")
        return [("none", "No owner"), *[(str(u.uuid), str(u)) for u in users[:200]]]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(account_owner__isnull=True)
        return super().queryset(request, queryset)


class ImportForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none())
    file = forms.FileField(help_text=(
        "UTF-8 CSV with a header row: firstName, lastName, email, phoneNumber, tags "
        "(comma-separated), notes, crmCompanyId, accountOwnerId, additionalData (a JSON "
        "object). Other columns become additionalData keys. Empty cells change nothing."
    ))
    dry_run = forms.BooleanField(required=False, initial=True,
                                 help_text="Check everything and report, but save nothing.")

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        if companies.count() == 1:
            self.fields["company"].initial = companies.first()


@admin.register(Contact)
class ContactAdmin(CompanyScopedAdmin):
    """The company's shared contacts: members read, add and edit them; owners and
    admins delete them (as in the API)."""

    members = SHARED
    form = ContactForm
    list_display = ("__str__", "email", "phone_number", "tag_list", "account_owner",
                    "company", "event_count", "last_seen_at", "created_at")
    list_filter = (TagFilter, OwnerFilter, "company")
    list_select_related = ("company", "account_owner")
    search_fields = ("search_text",)  # searched through crm.selectors.search_filter
    search_help_text = "Part of a name, email or phone number"
    show_full_result_count = False  # a count of a million rows per page view is wasted
    readonly_fields = ("uuid", "no_show_count", "event_count", "last_seen_at", "created_at",
                       "updated_at", "appointments")
    inlines = [ContactEventInline]

    @admin.display(description="appointments")
    def appointments(self, contact: Contact):
        """The company's appointments booked by the contact's email or phone, newest first."""
        found = selectors.contact_appointments(contact)[:50]
        if not found:
            return "None"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{} {}</a> ({})', (
            (reverse("admin:scheduling_appointment_change", args=[a.pk]),
             a.start.strftime("%Y-%m-%d %H:%M UTC"), a.meeting_type_title,
             a.get_status_display()) for a in found))
    actions = ["export_csv"]
    raw_id_fields = ("account_owner",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "company") if obj else self.readonly_fields

    @admin.display(description="tags")
    def tag_list(self, contact: Contact) -> str:
        return ", ".join(contact.tag_names)

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_filter(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        actor = services.Actor.admin(request.user)
        data = form.service_data()
        if change:
            services.contact_update(contact=Contact.objects.get(pk=obj.pk), actor=actor, **data)
        else:
            contact = services.contact_create(company=form.cleaned_data["company"], actor=actor,
                                              **data)
            obj.pk, obj.uuid = contact.pk, contact.uuid
            obj._state.adding = False

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj, actor=services.Actor.admin(request.user))

    @admin.action(description="Export selected contacts as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        contacts = queryset.prefetch_related(None).order_by("pk")
        rows = selectors.with_related(contacts).iterator(chunk_size=2000)
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in _export_rows(rows))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
        return response

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="crm_contact_import"), *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        companies = self.admin_site._registry[Company].get_queryset(request)
        form = ImportForm(request.POST or None, request.FILES or None, companies=companies)
        report = None
        if request.method == "POST" and form.is_valid():
            report = self._import(request, form.cleaned_data)
        context = {**self.admin_site.each_context(request), "form": form, "report": report,
                   "opts": self.model._meta, "title": "Import contacts from CSV",
                   "changelist_url": reverse("admin:crm_contact_changelist")}
        return TemplateResponse(request, "admin/crm/contact/import.html", context)

    def _import(self, request, data) -> dict | None:
        try:
            rows = import_rows(data["file"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return None
        results = []
        with transaction.atomic():  # a dry run rolls back the whole file, as one import
            for start in range(0, len(rows), services.MAX_ROWS):
                chunk = services.contacts_bulk_upsert(
                    company=data["company"], rows=rows[start : start + services.MAX_ROWS],
                    actor=services.Actor.admin(request.user),
                )
                for result in chunk:
                    result.index += start
                results.extend(chunk)
            if data["dry_run"]:
                transaction.set_rollback(True)
        counts = summary(results)
        verb = "would be" if data["dry_run"] else "were"
        messages.info(request, f"{counts['created']} contacts {verb} created, "
                               f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
                               f"{counts['error']} rows with errors.")
        failed = [{"line": r.index + 2, "errors": r.errors} for r in results if r.errors]
        return {"dry_run": data["dry_run"], "counts": counts, "failed": failed}


def import_rows(upload) -> list[dict]:
    """The CSV's rows as the bulk service takes them (public names, empty cells dropped)."""
    try:
        text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        raw = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DomainError(f"Not a readable UTF-8 CSV file: {exc}") from exc
    if not raw:
        raise DomainError("The file has no rows")
    if len(raw) > MAX_IMPORT_ROWS:
        raise DomainError(f"At most {MAX_IMPORT_ROWS} rows per file")
    return [_import_row(row) for row in raw]


def _import_row(raw: dict) -> dict:
    row, extra = {}, {}
    for column, value in raw.items():
        value = unneutralise(value.strip()) if isinstance(value, str) else ""
        if not column or not value or column in IMPORT_IGNORED:
            continue
        if column == "additionalData":
            try:
                row[column] = json.loads(value)
            except ValueError:
                row[column] = value  # reported by the service as "Must be an object"
        elif column in FORM_FIELD_FOR:
            row[column] = value
        else:
            extra[column] = value
    if extra:
        data = row.get("additionalData")
        row["additionalData"] = {**data, **extra} if isinstance(data, dict) else extra
    return row


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet shows as text: a formula's start gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """The cell as it was before ``neutralise``."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _export_rows(contacts):
    yield EXPORT_COLUMNS
    for contact in contacts:
        yield tuple(neutralise(cell) for cell in _export_cells(contact))


def _export_cells(contact) -> tuple:
    return (
        contact.uuid, contact.first_name, contact.last_name, contact.email,
        contact.phone_number, ", ".join(contact.tag_names), contact.notes,
        contact.crm_company.uuid if contact.crm_company_id else "",
        contact.account_owner.uuid if contact.account_owner_id else "",
        json.dumps(contact.additional_data) if contact.additional_data else "",
        contact.no_show_count, contact.event_count, iso(contact.last_seen_at) or "",
        iso(contact.created_at), iso(contact.updated_at),
    )


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


@admin.register(CrmCompany)
class CrmCompanyAdmin(CompanyScopedAdmin):
    members = VIEW

    list_display = ("name", "domain", "company", "created_at")
    list_filter = ("company",)
    search_fields = ("name", "domain")
    readonly_fields = ("uuid", "created_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.crm_company_create(company=obj.company, name=obj.name,
                                              domain=obj.domain)
        obj.pk, obj.uuid = created.pk, created.uuid
        obj._state.adding = False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(CompanyScopedAdmin):
    members = NONE
    read_only = True

    # The stored text rather than the links, which are cleared when the company
    # or a user is deleted.
    list_display = ("created_at", "action", "target_type", "target_id", "actor_email",
                    "acting_for_email", "via", "company_name")
    list_filter = ("action", "via", "company")
    search_fields = ("target_id", "action", "actor_email", "acting_for_email", "company_name")
    date_hierarchy = "created_at"
    readonly_fields = ("company_name", "company_uuid", "company", "actor_email", "actor_name",
                       "actor", "acting_for_email", "acting_for_name", "acting_for", "via",
                       "api_key_id", "action", "target_type", "target_id", "snapshot",
                       "created_at")
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
