from django.contrib import admin

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("event", "company", "created_at", "uuid")
    list_filter = ("event", "company")
    search_fields = ("uuid", "event")
    readonly_fields = ("uuid", "company", "event", "data", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
