import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .errors import DomainError
from .models import (
    ApiKey,
    Appointment,
    AppointmentHost,
    AppointmentSource,
    Attendee,
    AvailabilitySchedule,
    BusyTime,
    CalendarConnection,
    Company,
    MeetingType,
    Membership,
    Queue,
    QueueMember,
    Room,
    ScheduleOverride,
    SentEmail,
    User,
)
from .services import appointments as appointment_services
from .services import calendars as calendar_services
from .services import meeting_types, schedules, tenancy
from .services.api_keys import api_key_create, api_key_revoke, check_may_create


class ApiKeyCreateForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1, max_value=90, initial=90, help_text="Days until the key expires (1-90)."
    )

    class Meta:
        model = ApiKey
        fields = ("name", "kind", "company", "created_by")
        help_texts = {"kind": "Platform API keys are made by owners and admins and may act for "
                              "any user of the company; a personal access token acts only as "
                              "its maker."}

    def clean(self):
        data = super().clean()
        company, maker = data.get("company"), data.get("created_by")
        membership = Membership.objects.filter(company=company, user=maker).first()
        if company and maker and membership is None:
            self.add_error("created_by", "The key's user must belong to the company")
        elif membership is not None:
            try:
                check_may_create(maker=membership, kind=data.get("kind"))
            except DomainError as exc:
                self.add_error("kind", exc.message)
        return data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    # Removing someone goes through the membership's own delete page, which settles
    # the appointments they host (tenancy.membership_remove).
    can_delete = False


class RemovalRefusedMixin:
    """Deleting users and memberships runs the API's removal rule: someone who hosts
    pending or upcoming appointments is removed only once those are settled (the
    "Remove and cancel their appointments" action, or reassigning through the API)."""

    def memberships_of(self, obj) -> list[Membership]:
        raise NotImplementedError

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "POST":
            try:
                with transaction.atomic():
                    for membership in self.memberships_of(obj):
                        tenancy.membership_remove(membership=membership)
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                return HttpResponseRedirect(request.path)
            if type(obj).objects.filter(pk=obj.pk).exists():
                obj.delete()
            self.message_user(request, f"Removed {obj}.")
            return HttpResponseRedirect(reverse(
                f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist"))
        return super().delete_view(request, object_id, extra_context)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "created_at")
    search_fields = ("name", "slug", "uuid")
    list_filter = ("timezone",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uuid", "created_at")
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(RemovalRefusedMixin, BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "given_name", "family_name", "slug", "timezone", "is_staff")
    list_filter = ("is_staff", "is_active", "memberships__company")
    search_fields = ("email", "given_name", "family_name", "slug", "uuid")
    readonly_fields = ("uuid", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("uuid", "email", "password")}),
        ("Profile", {"fields": ("given_name", "family_name", "timezone", "slug")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "slug", "password1", "password2")}),
    )
    inlines = [MembershipInline]

    def memberships_of(self, obj) -> list[Membership]:
        return list(obj.memberships.select_related("user", "company"))


@admin.register(Membership)
class MembershipAdmin(RemovalRefusedMixin, admin.ModelAdmin):
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role", "company")
    search_fields = ("user__email", "company__name")
    autocomplete_fields = ("user", "company")
    actions = ["remove_cancelling"]

    def memberships_of(self, obj) -> list[Membership]:
        return [obj]

    @admin.action(description="Remove from the company and cancel the appointments they host")
    def remove_cancelling(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("user", "company"):
            try:
                with transaction.atomic():
                    tenancy.membership_remove(membership=membership, cancel_appointments=True)
                removed += 1
            except DomainError as exc:
                self.message_user(request, f"{membership}: {exc.message}", level=messages.ERROR)
        self.message_user(request, f"Removed {removed} membership(s).")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created here through the same service as the command; the full
    token is shown once, in the message after saving."""

    list_display = ("name", "kind", "company", "created_by", "expires_at", "last_used_at",
                    "revoked_at")
    list_filter = ("kind", "company")
    search_fields = ("name", "uuid", "company__name", "created_by__email")
    readonly_fields = ("uuid", "created_at", "last_used_at", "expires_at", "revoked_at")
    fields = ("name", "kind", "company", "created_by", "uuid", "created_at", "expires_at",
              "last_used_at", "revoked_at")
    autocomplete_fields = ("company", "created_by")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("uuid", "created_at", "last_used_at", "revoked_at")
        return self.readonly_fields + ("kind", "company", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "kind", "company", "created_by", "days")
        return self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        api_key, token = api_key_create(
            company=form.cleaned_data["company"],
            created_by=form.cleaned_data["created_by"],
            name=form.cleaned_data.get("name", ""),
            days=form.cleaned_data["days"],
            kind=form.cleaned_data["kind"],
        )
        obj.pk = api_key.pk
        obj.__dict__.update(api_key.__dict__)
        self.message_user(
            request,
            f"Copy this key now; it is not shown again: {token}",
            level=messages.WARNING,
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


# --- Scheduling: meeting types, queues, schedules, busy time -------------------------


def _field_errors(form, errors, field: str) -> None:
    """Show the shared checks' ``(field, message)`` pairs on one admin form field."""
    for name, message in errors:
        form.add_error(field, f"{name}: {message}")


class MeetingTypeAdminForm(forms.ModelForm):
    class Meta:
        model = MeetingType
        fields = (
            "company", "owner", "title", "slug", "description", "hosts", "queue", "schedule",
            "durations", "default_duration", "slot_interval", "buffer_before", "buffer_after",
            "minimum_notice", "max_days_in_advance", "daily_limit", "channels", "locations",
            "form_fields", "double_opt_in", "require_host_confirmation",
            "allow_phone_only_booking", "ics_title", "ics_description",
        )

    def clean(self):
        data = super().clean()
        durations, default, errors = meeting_types.normalize_durations(
            data.get("durations"), data.get("default_duration"))
        _field_errors(self, errors, "durations")
        data["durations"], data["default_duration"] = durations, default
        locations, channels, errors = meeting_types.normalize_locations(
            data.get("locations") or [], data.get("channels") or None)
        _field_errors(self, errors, "locations")
        data["locations"], data["channels"] = locations, channels
        data["form_fields"], errors = meeting_types.normalize_form_fields(
            data.get("form_fields") or [])
        _field_errors(self, errors, "form_fields")
        self._check_company(data)
        return data

    def _check_company(self, data) -> None:
        """Hosts, queue and schedule of the meeting type's own company only."""
        company = data.get("company")
        if company is None:
            return
        hosts, queue = data.get("hosts"), data.get("queue")
        if queue and hosts:
            self.add_error("queue", "Choose hosts or a queue, not both")
        if hosts and hosts.exclude(memberships__company=company).exists():
            self.add_error("hosts", "Every host must be a user of the company")
        if queue and queue.company_id != company.pk:
            self.add_error("queue", "The queue belongs to another company")
        schedule = data.get("schedule")
        if schedule and schedule.company_id != company.pk:
            self.add_error("schedule", "The schedule belongs to another company")


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin):
    form = MeetingTypeAdminForm
    list_display = ("title", "slug", "company", "owner", "queue", "default_duration",
                    "double_opt_in", "require_host_confirmation")
    list_filter = ("company", "double_opt_in", "require_host_confirmation",
                   "allow_phone_only_booking")
    search_fields = ("title", "slug", "uuid", "owner__email")
    readonly_fields = ("uuid", "created_at", "updated_at")
    autocomplete_fields = ("company", "owner", "hosts", "queue", "schedule")
    fieldsets = (
        (None, {"fields": ("uuid", "company", "owner", "title", "slug", "description")}),
        ("Hosts", {"fields": ("hosts", "queue", "schedule")}),
        ("Times", {"fields": ("durations", "default_duration", "slot_interval",
                              "buffer_before", "buffer_after", "minimum_notice",
                              "max_days_in_advance", "daily_limit")}),
        ("Where", {"fields": ("channels", "locations")}),
        ("Booking", {"fields": ("form_fields", "double_opt_in", "require_host_confirmation",
                                "allow_phone_only_booking", "ics_title", "ics_description")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "company", "created_at")
    list_filter = ("kind", "company")
    search_fields = ("name", "uuid")
    readonly_fields = ("uuid", "created_at")
    autocomplete_fields = ("company",)
    inlines = [QueueMemberInline]


class ScheduleOverrideForm(forms.ModelForm):
    class Meta:
        model = ScheduleOverride
        fields = ("date", "intervals")
        help_texts = {"intervals": '[{"start": "10:00", "end": "12:00"}]; [] is a day off.'}

    def clean_intervals(self):
        intervals, errors = schedules.normalize_intervals(self.cleaned_data["intervals"] or [],
                                                          "intervals")
        _field_errors(self, errors, "intervals")
        return intervals


class ScheduleOverrideInline(admin.TabularInline):
    model = ScheduleOverride
    form = ScheduleOverrideForm
    extra = 1


class ScheduleAdminForm(forms.ModelForm):
    class Meta:
        model = AvailabilitySchedule
        fields = ("company", "user", "name", "timezone", "is_default", "weekly")
        help_texts = {"weekly": '{"monday": [{"start": "09:00", "end": "17:00"}], ...}'}

    def clean_weekly(self):
        weekly, errors = schedules.normalize_weekly(self.cleaned_data["weekly"] or {})
        _field_errors(self, errors, "weekly")
        return weekly

    def _get_validation_exclusions(self):
        # The service moves the default from the previous schedule, so the form must
        # not refuse a second default up front; the constraint still guards the table.
        return super()._get_validation_exclusions() | {"is_default"}

    def clean(self):
        data = super().clean()
        original = self.instance.pk and AvailabilitySchedule.objects.get(pk=self.instance.pk)
        if original and original.is_default and not data.get("is_default"):
            self.add_error("is_default", "Make another schedule the default instead")
        return data


@admin.register(AvailabilitySchedule)
class AvailabilityScheduleAdmin(admin.ModelAdmin):
    """Saved through the same services as the API, so "one default per user" moves
    the default instead of failing."""

    form = ScheduleAdminForm
    list_display = ("name", "user", "company", "timezone", "is_default", "updated_at")
    list_filter = ("is_default", "company", "timezone")
    search_fields = ("name", "uuid", "user__email")
    readonly_fields = ("uuid", "created_at", "updated_at")
    autocomplete_fields = ("company", "user")
    inlines = [ScheduleOverrideInline]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {"name": data["name"], "timezone_name": data["timezone"],
                  "weekly": data["weekly"], "is_default": data["is_default"]}
        if change:
            saved = schedules.schedule_update(
                schedule=AvailabilitySchedule.objects.get(pk=obj.pk), **fields)
        else:
            saved = schedules.schedule_create(company=data["company"], user=data["user"],
                                              **fields)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)


@admin.register(BusyTime)
class BusyTimeAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end", "source", "label")
    list_filter = ("source",)
    search_fields = ("user__email", "label")
    date_hierarchy = "start"
    autocomplete_fields = ("user",)
    readonly_fields = ("uuid", "created_at")


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(admin.ModelAdmin):
    """External calendars; rows are made through the API (its URL checks), so the
    admin shows their status and can read them again."""

    list_display = ("__str__", "user", "company", "last_synced_at", "busy_count", "last_error_at")
    list_filter = ("company",)
    search_fields = ("user__email", "name", "url")
    readonly_fields = ("uuid", "company", "user", "type", "url", "etag", "last_modified",
                       "fetched_at", "last_synced_at", "last_error", "last_error_at",
                       "busy_count", "created_at")
    actions = ["sync_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Read the selected calendars again now")
    def sync_now(self, request, queryset):
        for connection in queryset:
            calendar_services.connection_sync(connection_id=connection.pk)
        self.message_user(request, f"Read {queryset.count()} calendar(s); see their status.")


# --- Bookings: appointments and metered usage -----------------------------------------


class AppointmentHostInline(admin.TabularInline):
    model = AppointmentHost
    extra = 0
    can_delete = False
    fields = ("host", "start", "end", "active")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AttendeeInline(admin.TabularInline):
    model = Attendee
    extra = 0
    can_delete = False
    fields = ("uuid", "is_primary", "email", "first_name", "last_name", "phone", "timezone",
              "receive_reminders", "notes")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Appointments are made by booking; here staff read them, keep an internal note
    and cancel, confirm, decline or mark no-shows through the same services as the
    API. The list page also shows the API bookings metered per month."""

    list_display = ("start", "meeting_type_title", "status", "company", "channel", "source",
                    "primary_email", "created_at")
    list_filter = ("status", "source", "channel", "company", "meeting_type")
    search_fields = ("uuid", "meeting_type_title", "attendees__email", "attendees__last_name",
                     "host_rows__host__email")
    date_hierarchy = "start"
    ordering = ("-start",)
    inlines = [AppointmentHostInline, AttendeeInline]
    actions = ["cancel", "confirm", "decline", "mark_no_show"]
    fields = ("uuid", "company", "meeting_type", "meeting_type_title", "status", "start", "end",
              "channel", "location", "meeting_link", "ics_title", "ics_description",
              "bringalong_emails", "skip_notifications", "source", "hold_expires_at",
              "confirmed_at", "cancelled_at", "cancel_reason", "no_show_at", "created_at",
              "updated_at", "internal_note")
    readonly_fields = fields[:-1]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company").prefetch_related(
            "attendees")

    @admin.display(description="Attendee")
    def primary_email(self, appointment):
        attendee = appointment_services.primary_attendee(appointment)
        return (attendee.email or attendee.phone) if attendee else ""

    def has_add_permission(self, request):
        return False  # bookings are made through the booking service (API or pages)

    def save_model(self, request, obj, form, change):
        appointment_services.appointment_edit(
            appointment=Appointment.objects.get(pk=obj.pk),
            internal_note=form.cleaned_data["internal_note"])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "usage": _usage_rows(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def _each(self, request, queryset, service, done: str, **kwargs):
        changed = 0
        for appointment in queryset:
            try:
                service(appointment=appointment, **kwargs)
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{appointment}: {exc.message}", messages.ERROR)
        if changed:
            self.message_user(request, f"{done} {changed} appointment(s).")

    @admin.action(description="Cancel selected appointments")
    def cancel(self, request, queryset):
        self._each(request, queryset, appointment_services.appointment_cancel, "Cancelled",
                   reason="Cancelled by staff")

    @admin.action(description="Confirm selected provisional bookings")
    def confirm(self, request, queryset):
        self._each(request, queryset, appointment_services.appointment_confirm, "Confirmed")

    @admin.action(description="Decline selected provisional bookings")
    def decline(self, request, queryset):
        self._each(request, queryset, appointment_services.appointment_decline, "Declined")

    @admin.action(description="Mark selected appointments as no-shows")
    def mark_no_show(self, request, queryset):
        self._each(request, queryset, appointment_services.appointment_no_show,
                   "Marked as no-show:")


USAGE_MONTHS = 6
USAGE_COMPANIES = 20


def _usage_rows(request) -> list[dict]:
    """API bookings per month (each company's own zone) for the companies booking
    through the API lately, or the one company the list is filtered by."""
    today = timezone.now().date()
    first = (today.replace(day=1) - datetime.timedelta(days=31 * (USAGE_MONTHS - 1))).replace(
        day=1)
    companies = Company.objects.filter(
        appointments__source=AppointmentSource.API,
        appointments__created_at__gte=datetime.datetime.combine(
            first - datetime.timedelta(days=1), datetime.time(0), datetime.UTC),
    ).distinct().order_by("name")
    chosen = request.GET.get("company__id__exact", "")
    if chosen.isdigit():
        companies = Company.objects.filter(pk=int(chosen))
    return [{"company": company,
             "months": appointment_services.usage_by_month(company=company, first=first,
                                                           last=today)}
            for company in companies[:USAGE_COMPANIES]]


# --- Rooms ---------------------------------------------------------------------------


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """A workspace's named rooms; a booking's own room appears once someone joined it."""

    list_display = ("display_name", "name", "company", "appointment", "join_url", "created_at")
    list_filter = ("company",)
    search_fields = ("name", "display_name")
    prepopulated_fields = {"name": ("display_name",)}
    readonly_fields = ("uuid", "appointment", "join_url", "created_at", "updated_at")
    fields = ("company", "display_name", "name", "join_url", "appointment", "uuid",
              "created_at", "updated_at")

    @admin.display(description="Join page")
    def join_url(self, room: Room) -> str:
        from .services.rooms import room_url

        return room_url(room) if room.pk else "-"


# --- Notifications: what was sent to whom and when ---------------------------------------


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    """The log of emails sent about appointments (scheduling/notifications.py); read only."""

    list_display = ("sent_at", "recipient", "kind", "subject", "language", "appointment_link")
    list_filter = ("kind", "language", "appointment__company")
    search_fields = ("recipient", "subject", "appointment__uuid")
    date_hierarchy = "sent_at"
    list_select_related = ("appointment",)
    fields = ("sent_at", "recipient", "kind", "subject", "language", "appointment", "start",
              "lead_minutes")
    readonly_fields = fields

    @admin.display(description="Appointment", ordering="appointment__start")
    def appointment_link(self, sent):
        url = reverse("admin:scheduling_appointment_change", args=[sent.appointment_id])
        return format_html('<a href="{}">{}</a>', url, sent.appointment)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
