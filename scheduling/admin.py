import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from webhooks.models import WebhookDelivery

from . import selectors
from .choices import Role
from .core.adminsite import (
    NONE,
    OWN,
    VIEW,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ScopedRights,
    ServiceWriteAdmin,
    actor_for,
    admin_access,
    is_operator,
)
from .core.errors import DomainError
from .core.timeutils import get_zone
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
from .payloads import primary_attendee
from .services import appointments as appointment_services
from .services import calendars as calendar_services
from .services import limits, meeting_types, one_time_links, queues, rooms, schedules, tenancy
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


def admin_access_in(request, user) -> Membership | None:
    """``user``'s membership in the company the signed-in member works in (for an
    operator: that one if any, else the user's first)."""
    found = Membership.objects.select_related("user", "company").filter(user=user)
    access = admin_access(request)
    here = found.filter(company=access.company).first() if access else None
    if here is not None or not is_operator(request):
        return here
    return found.order_by("pk").first()


class CompanyUserAddForm(forms.ModelForm):
    """A new user of the signed-in member's company, added through the same service
    as ``POST /v4/user`` (``new_employee`` fires, the invitation is sent)."""

    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    class Meta:
        model = User
        fields = ("email", "given_name", "family_name")


MEMBER_ADD_FIELDSETS = ((None, {"classes": ("wide",),
                                "fields": ("email", "given_name", "family_name", "role")}),)


class CompanyAdminForm(forms.ModelForm):
    owner_email = forms.EmailField(required=False, help_text=(
        "Its first owner (an existing user is reused by email); you when empty."))

    class Meta:
        model = Company
        fields = ("name", "slug", "timezone")


class MembershipInline(CompanyScopedInline, admin.TabularInline):
    """Who belongs where, read only: roles change and people leave on the
    memberships' own pages, through the same services as the API."""

    model = Membership
    extra = 0
    fields = ("user", "company", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    read_only = True


class RemovalRefusedMixin:
    """Deleting users and memberships runs the API's removal rule: someone who hosts
    pending or upcoming appointments is removed only once those are settled (the
    "Remove and cancel their appointments" action, or reassigning through the API)."""

    def memberships_of(self, request, obj) -> list[Membership]:
        raise NotImplementedError

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "POST" and self.has_delete_permission(
                request, obj):
            try:
                with transaction.atomic():
                    for membership in self.memberships_of(request, obj):
                        tenancy.user_remove(
                            membership=membership, actor=actor_for(request, membership.company))
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
class CompanyAdmin(CompanyScopedAdmin):
    """Operators make and delete companies; a company's owners and admins keep its
    name and time zone."""

    company_field = "pk"
    members = VIEW
    form = CompanyAdminForm
    list_display = ("name", "slug", "timezone", "created_at")
    search_fields = ("name", "slug", "uuid")
    list_filter = ("timezone",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uuid", "created_at")
    inlines = [MembershipInline]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "slug")

    def has_add_permission(self, request) -> bool:
        return is_operator(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_operator(request)

    def save_model(self, request, obj, form, change):
        if change:
            tenancy.company_update(company=obj, actor=actor_for(request, obj),
                                   name=obj.name, timezone=obj.timezone)
            return
        owner = form.cleaned_data.get("owner_email") or request.user.email
        company, _ = tenancy.company_create(name=obj.name, slug=obj.slug, timezone=obj.timezone,
                                            owner_email=owner)
        obj.pk, obj.uuid, obj.created_at = company.pk, company.uuid, company.created_at
        obj._state.adding = False


@admin.register(User)
class UserAdmin(RemovalRefusedMixin, ScopedRights, BaseUserAdmin):
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
    company_field = "memberships__company"
    owner_field = "pk"
    members = OWN

    def memberships_of(self, request, obj) -> list[Membership]:
        """Deleting a person removes them from every company the remover may act in;
        an operator removes them everywhere."""
        found = obj.memberships.select_related("user", "company")
        access = admin_access(request)
        if not is_operator(request):
            found = found.filter(company=access.company)
        return list(found)

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def get_list_filter(self, request):
        return self.list_filter if is_operator(request) else ("is_active",)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets if is_operator(request) else MEMBER_ADD_FIELDSETS
        if is_operator(request):
            return self.fieldsets
        return ((None, {"fields": ("uuid", "email", "password")}),
                ("Profile", {"fields": ("given_name", "family_name", "timezone", "slug")}),
                ("Dates", {"fields": ("date_joined", "last_login")}))

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not is_operator(request):
            kwargs["form"] = CompanyUserAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and is_operator(request):
            return super().save_model(request, obj, form, change)  # a user of no company yet
        if not change:
            membership = tenancy.user_create(
                company=admin_access(request).company, actor=admin_access(request),
                email=form.cleaned_data["email"], given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"], role=form.cleaned_data["role"])
            obj.__dict__.update(membership.user.__dict__)
            return
        membership = admin_access_in(request, obj)
        if membership is None:  # an operator changing someone of no company
            return super().save_model(request, obj, form, change)
        changes = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in tenancy.PERSON_FIELDS - {"password"}}
        tenancy.user_update(membership=membership, actor=actor_for(request, membership.company),
                            **changes)
        if is_operator(request):
            super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        membership = user and admin_access_in(request, user)
        if membership is not None and not is_operator(request):
            try:
                tenancy.check_may_change_profile(
                    membership=membership, actor=admin_access(request), fields=["password"])
            except DomainError as exc:
                raise PermissionDenied(exc.message) from exc
        return super().user_change_password(request, id, form_url)


@admin.register(Membership)
class MembershipAdmin(RemovalRefusedMixin, ServiceWriteAdmin):
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role", "company")
    search_fields = ("user__email", "company__name")
    autocomplete_fields = ("user", "company")
    actions = ["remove_cancelling"]

    def memberships_of(self, request, obj) -> list[Membership]:
        return [obj]

    def get_fields(self, request, obj=None):
        return ("user", "company", "role") if obj is None else ("user", "company", "role",
                                                                "created_at")

    def get_readonly_fields(self, request, obj=None):
        return ("created_at",) if obj is None else ("user", "company", "created_at")

    def has_add_permission(self, request) -> bool:
        # People join a company by being added as users (with their invitation).
        return is_operator(request)

    def service_save(self, request, instance, data):
        if instance.pk is None:  # operators only (has_add_permission)
            return Membership.objects.create(company=data["company"], user=data["user"],
                                             role=data["role"])
        current = Membership.objects.select_related("user", "company").get(pk=instance.pk)
        return tenancy.user_update(membership=current, actor=actor_for(request, current.company),
                                   role=data["role"])

    @admin.action(description="Remove from the company and cancel the appointments they host")
    def remove_cancelling(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("user", "company"):
            try:
                with transaction.atomic():
                    tenancy.user_remove(membership=membership, cancel_appointments=True,
                                        actor=actor_for(request, membership.company))
                removed += 1
            except DomainError as exc:
                self.message_user(request, f"{membership}: {exc.message}", level=messages.ERROR)
        self.message_user(request, f"Removed {removed} membership(s).")


@admin.register(ApiKey)
class ApiKeyAdmin(CompanyScopedAdmin):
    """Credentials are created here through the same service as the command; the
    full token is shown once, in the message after saving. Members make and revoke
    their own personal access tokens."""

    members = OWN
    owner_field = "created_by"

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
        maker = form.cleaned_data["created_by"]
        if not is_operator(request) and maker != request.user and not admin_access(
                request).has_role(Role.ADMIN):
            raise PermissionDenied
        api_key, token = api_key_create(
            company=form.cleaned_data["company"],
            created_by=maker,
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

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "created_by": request.user.pk,
                "kind": "platform" if self._admin(request) else "personal"}

    def _admin(self, request) -> bool:
        access = admin_access(request)
        return is_operator(request) or (access is not None and access.has_role(Role.ADMIN))

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
    """The meeting type's fields; every rule is the service's (``ServiceWriteAdmin``)."""

    class Meta:
        model = MeetingType
        fields = (
            "company", "title", "slug", "description", "hosts", "queue", "schedule",
            "durations", "default_duration", "slot_interval", "buffer_before", "buffer_after",
            "minimum_notice", "max_days_in_advance", "booking_limits", "channels", "locations",
            "form_fields", "double_opt_in", "require_host_confirmation",
            "allow_phone_only_booking", "ics_title", "ics_description",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False  # the service makes one from the title


# Service field names (as the API reports them) -> admin form fields.
MEETING_TYPE_FIELDS = {
    "hostIds": "hosts", "queueId": "queue", "scheduleId": "schedule", "slug": "slug",
    "durations": "durations", "defaultDuration": "default_duration", "locations": "locations",
    "channels": "channels", "formFields": "form_fields", "title": "title",
    "bookingLimits": "booking_limits", "dailyLimit": "booking_limits",
}
MEETING_TYPE_PLAIN = ("description", "slot_interval", "buffer_before", "buffer_after",
                      "minimum_notice", "max_days_in_advance", "booking_limits", "double_opt_in",
                      "require_host_confirmation", "allow_phone_only_booking", "ics_title",
                      "ics_description", "durations", "default_duration", "locations",
                      "channels", "form_fields")


@admin.register(MeetingType)
class MeetingTypeAdmin(ServiceWriteAdmin):
    """Members manage the meeting types they host; writes go through the same
    service as ``/v4/meeting-type``."""

    service_fields = MEETING_TYPE_FIELDS

    members = OWN
    owner_field = "hosts"
    form = MeetingTypeAdminForm
    list_display = ("title", "slug", "company", "owner", "queue", "default_duration",
                    "double_opt_in", "require_host_confirmation")
    list_filter = ("company", "double_opt_in", "require_host_confirmation",
                   "allow_phone_only_booking")
    search_fields = ("title", "slug", "uuid", "owner__email")
    readonly_fields = ("uuid", "owner", "created_at", "updated_at", "why_not_offered")
    autocomplete_fields = ("company", "hosts", "queue", "schedule")
    fieldsets = (
        (None, {"fields": ("uuid", "company", "owner", "title", "slug", "description")}),
        ("Hosts", {"fields": ("hosts", "queue", "schedule")}),
        ("Times", {"fields": ("durations", "default_duration", "slot_interval",
                              "buffer_before", "buffer_after", "minimum_notice",
                              "max_days_in_advance", "booking_limits", "why_not_offered")}),
        ("Where", {"fields": ("channels", "locations")}),
        ("Booking", {"fields": ("form_fields", "double_opt_in", "require_host_confirmation",
                                "allow_phone_only_booking", "ics_title", "ics_description")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "company")

    def service_save(self, request, instance, data):
        company = data.get("company") or instance.company
        fields = {name: data[name] for name in MEETING_TYPE_PLAIN if name in data}
        fields["booking_limits"] = data.get("booking_limits") or []  # a blank box: none
        fields["slug"] = data.get("slug") or None
        schedule = data.get("schedule")
        fields["schedule_id"] = str(schedule.uuid) if schedule else None
        if data.get("queue"):
            fields["queue_id"] = str(data["queue"].uuid)
        elif data.get("hosts"):
            fields["host_ids"] = [str(user.uuid) for user in data["hosts"]]
        actor = actor_for(request, company)
        if instance.pk is None:
            return meeting_types.meeting_type_create(company=company, actor=actor,
                                                     title=data["title"], **fields)
        return meeting_types.meeting_type_update(
            meeting_type=MeetingType.objects.get(pk=instance.pk), actor=actor,
            title=data["title"], **fields)

    def delete_model(self, request, obj):
        meeting_types.meeting_type_delete(meeting_type=obj)

    actions = ["make_one_time_link"]

    @admin.action(description="Make a one-time link")
    def make_one_time_link(self, request, queryset):
        """A one-time booking link (30 days) for each selected meeting type, shown once
        made; refused, like the API, to members who neither own nor host it."""
        for meeting_type in queryset.select_related("company", "owner", "queue"):
            try:
                link = one_time_links.one_time_link_create(
                    meeting_type=meeting_type, actor=actor_for(request, meeting_type.company))
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"{meeting_type}: {getattr(exc, 'message', exc)}",
                                  messages.ERROR)
                continue
            url = one_time_links.one_time_link_url(link)
            self.message_user(request, format_html(
                '{}: one-time link <a href="{}">{}</a> (books once, until {} UTC)', meeting_type,
                url, url, f"{link.expires_at:%Y-%m-%d %H:%M}"))

    @admin.display(description="Why a time is not offered")
    def why_not_offered(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:scheduling_meetingtype_troubleshoot", args=[obj.pk])
        return format_html('<a href="{}">Every time of a day, with the rule that refuses '
                           "it</a>", url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.troubleshoot_view)
        return [path("<int:pk>/troubleshoot/", view,
                     name="scheduling_meetingtype_troubleshoot"), *super().get_urls()]

    def troubleshoot_view(self, request, pk: int):
        """Every candidate time of one day (``?date=``, in the zone of the meeting type's
        hours), free or with each host's reason, as the slots endpoint's troubleshoot
        computes them."""
        meeting_type = self.get_object(request, str(pk))
        if meeting_type is None or not self.has_view_permission(request, meeting_type):
            raise PermissionDenied
        zone = selectors.hours_zone(meeting_type)
        day = _asked_day(request.GET.get("date"), zone)
        rows = []
        try:
            result = selectors.explained_slots(meeting_type=meeting_type, start=day, end=day,
                                               timezone=zone)
            rows = troubleshoot_rows(result)
        except DomainError as exc:
            messages.error(request, exc.message)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "original": meeting_type, "title": f"Why not offered: {meeting_type}",
                   "day": day, "zone": zone, "rows": rows,
                   "previous": day - datetime.timedelta(days=1),
                   "next": day + datetime.timedelta(days=1)}
        return TemplateResponse(request, "admin/scheduling/meetingtype/troubleshoot.html",
                                context)


def _asked_day(value: str | None, zone: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return timezone.now().astimezone(get_zone(zone)).date()


def troubleshoot_rows(result) -> list[dict]:
    """The day's candidate times in order: free ones with their free hosts, refused
    ones with each host's reason (and the full limit)."""
    zone = get_zone(result.timezone)
    names = {pk: user.full_name or user.email for pk, user in result.hosts.items()}
    rows = [{"start": slot.start, "free": True,
             "hosts": [(names[pk], "free") for pk in slot.host_ids]} for slot in result.slots]
    for refusal in result.refused:
        rows.append({"start": refusal.start, "free": False, "hosts": [
            (names[why.host_id], why.reason + (f" ({limits.describe(why.limit)})"
                                               if why.limit else ""))
            for why in refusal.reasons]})
    rows.sort(key=lambda row: row["start"])
    for row in rows:
        row["time"] = row["start"].astimezone(zone).strftime("%H:%M")
    return rows


class QueueMemberInline(CompanyScopedInline, admin.TabularInline):
    """Who is in the queue, read only: the queue's own form changes its members."""

    model = QueueMember
    extra = 0
    fields = ("user", "created_at")
    readonly_fields = fields
    can_delete = False
    read_only = True


class QueueAdminForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Queue
        fields = ("company", "name", "kind")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.all())


@admin.register(Queue)
class QueueAdmin(ServiceWriteAdmin):
    """Writes through the same service as ``/v4/queue`` (owners and admins)."""

    members = VIEW
    form = QueueAdminForm
    service_fields = {"memberIds": "members"}

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["members"].queryset = self.admin_site._registry[User].get_queryset(
            request)
        return form

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "company")

    def service_save(self, request, instance, data):
        company = data.get("company") or instance.company
        members = [str(user.uuid) for user in data.get("members") or []]
        actor = actor_for(request, company)
        if instance.pk is None:
            return queues.queue_create(company=company, actor=actor, name=data["name"],
                                       kind=data["kind"], member_ids=members)
        return queues.queue_update(queue=Queue.objects.get(pk=instance.pk), actor=actor,
                                   name=data["name"], kind=data["kind"], member_ids=members)

    def delete_model(self, request, obj):
        queues.queue_delete(queue=obj, actor=actor_for(request, obj.company))

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


class ScheduleOverrideInline(CompanyScopedInline, admin.TabularInline):
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
class AvailabilityScheduleAdmin(CompanyScopedAdmin):
    """Saved through the same services as the API, so "one default per user" moves
    the default instead of failing. Members manage their own."""

    members = OWN
    owner_field = "user"

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
class BusyTimeAdmin(CompanyScopedAdmin):
    """Busy time of the company's people: read from the company's calendars, or
    blocked by hand (which blocks the person in every company)."""

    members = OWN
    owner_field = "user"
    company_field = "user__memberships__company"

    def scope(self, request, queryset):
        queryset = super().scope(request, queryset)
        access = admin_access(request)
        if is_operator(request) or access is None:
            return queryset
        return queryset.filter(Q(company__isnull=True) | Q(company=access.company))

    list_display = ("user", "start", "end", "source", "label")
    list_filter = ("source",)
    search_fields = ("user__email", "label")
    date_hierarchy = "start"
    autocomplete_fields = ("user",)
    readonly_fields = ("uuid", "created_at")


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(CompanyScopedAdmin):
    """External calendars; rows are made through the API (its URL checks), so the
    admin shows their status and can read them again. Members see their own."""

    members = OWN
    owner_field = "user"

    list_display = ("__str__", "user", "company", "last_synced_at", "busy_count", "last_error_at")
    list_filter = ("company",)
    search_fields = ("user__email", "name", "url")
    readonly_fields = ("uuid", "company", "user", "type", "url", "etag", "last_modified",
                       "fetched_at", "last_synced_at", "last_error", "last_error_at",
                       "busy_count", "created_at")
    actions = ["sync_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj):
        calendar_services.connection_delete(connection=obj)

    @admin.action(description="Read the selected calendars again soon")
    def sync_now(self, request, queryset):
        # Queued, never run inside the request: a slow feed must not hold a web worker.
        for connection in queryset:
            calendar_services.connection_sync_later(connection=connection)
        self.message_user(request, f"Queued {queryset.count()} calendar(s) to be read again; "
                                   "their status shows the result.")


# --- Bookings: appointments and metered usage -----------------------------------------


class AppointmentHostInline(CompanyScopedInline, admin.TabularInline):
    model = AppointmentHost
    extra = 0
    can_delete = False
    fields = ("host", "start", "end", "active")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class SentEmailInline(CompanyScopedInline, admin.TabularInline):
    """The emails sent about the appointment."""

    model = SentEmail
    extra = 0
    can_delete = False
    fields = ("sent_at", "recipient", "kind", "subject", "language")
    readonly_fields = fields
    read_only = True
    verbose_name_plural = "emails sent"


class AttendeeInline(CompanyScopedInline, admin.TabularInline):
    model = Attendee
    extra = 0
    can_delete = False
    fields = ("uuid", "is_primary", "email", "first_name", "last_name", "phone", "timezone",
              "receive_reminders", "notes")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(CompanyScopedAdmin):
    """Appointments are made by booking; here staff read them, keep an internal note
    and cancel, confirm, decline or mark no-shows through the same services as the
    API. The list page also shows the API bookings metered per month. Members read
    the company's appointments."""

    members = VIEW

    list_display = ("start", "meeting_type_title", "status", "company", "channel", "source",
                    "primary_email", "created_at")
    list_filter = ("status", "source", "channel", "company", "meeting_type")
    search_fields = ("uuid", "meeting_type_title", "attendees__email", "attendees__last_name",
                     "host_rows__host__email")
    date_hierarchy = "start"
    ordering = ("-start",)
    inlines = [AppointmentHostInline, AttendeeInline, SentEmailInline]
    actions = ["cancel", "confirm", "decline", "mark_no_show"]
    fields = ("uuid", "company", "meeting_type", "meeting_type_title", "status", "start", "end",
              "channel", "location", "meeting_link", "ics_title", "ics_description",
              "bringalong_emails", "skip_notifications", "source", "hold_expires_at",
              "confirmed_at", "cancelled_at", "cancel_reason", "no_show_at", "created_at",
              "updated_at", "webhook_deliveries", "internal_note")
    readonly_fields = fields[:-1]

    @admin.display(description="Webhook deliveries")
    def webhook_deliveries(self, appointment):
        """Every delivery of an event about this appointment, newest first."""
        deliveries = (WebhookDelivery.objects
                      .filter(endpoint__company_id=appointment.company_id,
                              event__data__id=str(appointment.uuid))
                      .select_related("event", "endpoint").order_by("-created_at")[:50])
        if not deliveries:
            return "None"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> to {}: {}', (
            (reverse("admin:webhooks_webhookdelivery_change", args=[d.pk]), d.event.event,
             d.endpoint.url, d.get_status_display()) for d in deliveries))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company").prefetch_related(
            "attendees")

    @admin.display(description="Attendee")
    def primary_email(self, appointment):
        attendee = primary_attendee(appointment)
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
    if not is_operator(request):
        access = admin_access(request)
        companies = Company.objects.filter(pk=access.company.pk if access else None)
    elif chosen.isdigit():
        companies = Company.objects.filter(pk=int(chosen))
    return [{"company": company,
             "months": appointment_services.usage_by_month(company=company, first=first,
                                                           last=today)}
            for company in companies[:USAGE_COMPANIES]]


# --- Rooms ---------------------------------------------------------------------------


@admin.register(Room)
class RoomAdmin(ServiceWriteAdmin):
    """A workspace's named rooms; a booking's own room appears once someone joined it."""

    list_display = ("display_name", "name", "company", "appointment", "join_url", "created_at")
    list_filter = ("company",)
    search_fields = ("name", "display_name")
    prepopulated_fields = {"name": ("display_name",)}
    readonly_fields = ("uuid", "appointment", "join_url", "created_at", "updated_at")
    fields = ("company", "display_name", "name", "join_url", "appointment", "uuid",
              "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "company")

    def service_save(self, request, instance, data):
        actor_for(request, data.get("company") or instance.company)
        if instance.pk is None:
            return rooms.room_create(company=data["company"], name=data["name"],
                                     display_name=data.get("display_name", ""))
        return rooms.room_update(room=Room.objects.get(pk=instance.pk), name=data["name"],
                                 display_name=data.get("display_name", ""))

    def delete_model(self, request, obj):
        rooms.room_delete(room=obj)

    @admin.display(description="Join page")
    def join_url(self, room: Room) -> str:
        from .services.rooms import room_url

        return room_url(room) if room.pk else "-"


# --- Notifications: what was sent to whom and when ---------------------------------------


@admin.register(SentEmail)
class SentEmailAdmin(CompanyScopedAdmin):
    """The log of emails sent about appointments (scheduling/notifications.py); read only."""

    company_field = "appointment__company"
    members = NONE
    read_only = True

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
