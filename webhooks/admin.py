"""Admin: endpoints with their delivery log, deliveries with every attempt and a
redeliver action, and the outbox. Writes go through the same services as the API."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from scheduling.core import urlguard
from scheduling.core.adminsite import (
    NONE,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ServiceWriteAdmin,
)
from scheduling.core.errors import DomainError

from . import events
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services.delivery import delivery_redeliver
from .services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_send_test,
    endpoint_update,
)


@admin.register(OutboxEvent)
class OutboxEventAdmin(CompanyScopedAdmin):
    members = NONE
    read_only = True

    list_display = ("event", "company", "created_at", "uuid")
    list_filter = ("event", "company")
    search_fields = ("uuid", "event")
    readonly_fields = ("uuid", "company", "event", "data", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EndpointForm(forms.ModelForm):
    # A plain string: the SSRF guard is the one judge of what a webhook URL may be.
    url = forms.CharField(max_length=2000)
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in events.ALL], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("company", "url", "events", "description", "active")

    def clean_url(self):
        try:
            urlguard.check_url(self.cleaned_data["url"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return self.cleaned_data["url"]


class DeliveryInline(CompanyScopedInline, admin.TabularInline):
    read_only = True

    model = WebhookDelivery
    fields = ("delivery_link", "event", "status", "attempt_count", "last_status_code",
              "next_attempt_at", "created_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    @admin.display(description="delivery")
    def delivery_link(self, obj):
        url = reverse("admin:webhooks_webhookdelivery_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.uuid)

    def get_queryset(self, request):
        # The latest deliveries; the full log is the deliveries list filtered by endpoint.
        return super().get_queryset(request).select_related("event")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceWriteAdmin):
    members = NONE

    form = EndpointForm
    list_display = ("url", "company", "active", "disabled_reason", "failing_since", "created_at")
    list_filter = ("active", "company")
    search_fields = ("url", "description", "uuid")
    readonly_fields = ("uuid", "failing_since", "disabled_reason", "disabled_at", "created_at",
                       "updated_at")
    inlines = [DeliveryInline]
    actions = ["send_test_event"]

    def service_save(self, request, instance, data):
        fields = {name: data[name] for name in ("url", "events", "description", "active")}
        if instance.pk is not None:
            return endpoint_update(
                endpoint=WebhookEndpoint.objects.get(pk=instance.pk), **fields)
        return endpoint_create(company=data["company"], **fields)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(request, f"Signing secret (shown only now): {obj.secret}")

    def delete_model(self, request, obj):
        endpoint_delete(endpoint=obj)

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            try:
                endpoint_send_test(endpoint=endpoint)
            except DomainError as exc:
                messages.error(request, f"{endpoint}: {exc.message}")


class AttemptInline(CompanyScopedInline, admin.TabularInline):
    read_only = True

    model = WebhookAttempt
    fields = ("attempted_at", "succeeded", "status_code", "duration_ms", "error",
              "response_excerpt")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CompanyScopedAdmin):
    company_field = "endpoint__company"
    members = NONE

    list_display = ("event", "endpoint", "status", "attempt_count", "last_status_code",
                    "next_attempt_at", "created_at")
    list_filter = ("status", "event__event", "endpoint__company")
    list_select_related = ("event", "endpoint")
    search_fields = ("uuid", "event__uuid", "endpoint__url")
    raw_id_fields = ("endpoint", "event")
    readonly_fields = ("uuid", "endpoint", "event", "status", "attempt_count", "next_attempt_at",
                       "locked_until", "lock_token", "last_status_code", "created_at",
                       "settled_at", "webhook_id", "payload")
    exclude = ()
    inlines = [AttemptInline]
    actions = ["redeliver"]
    date_hierarchy = "created_at"

    @admin.display(description="webhook-id")
    def webhook_id(self, obj):
        return obj.event.webhook_id

    @admin.display(description="data")
    def payload(self, obj):
        return format_html("<pre>{}</pre>", obj.event.data)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Redeliver (same webhook-id)")
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                delivery_redeliver(delivery=delivery)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{delivery}: {exc.message}")
        if done:
            messages.success(request, f"{done} deliveries queued again.")
