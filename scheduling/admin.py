from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiKey, Company, Membership, User
from .services.api_keys import api_key_create, api_key_revoke


class ApiKeyCreateForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1, max_value=90, initial=90, help_text="Days until the key expires (1-90)."
    )

    class Meta:
        model = ApiKey
        fields = ("name", "company", "created_by")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "created_at")
    search_fields = ("name", "slug", "uuid")
    list_filter = ("timezone",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uuid", "created_at")
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role", "company")
    search_fields = ("user__email", "company__name")
    autocomplete_fields = ("user", "company")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created here through the same service as the command; the full
    token is shown once, in the message after saving."""

    list_display = ("name", "company", "created_by", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("company",)
    search_fields = ("name", "uuid", "company__name", "created_by__email")
    readonly_fields = ("uuid", "created_at", "last_used_at", "expires_at", "revoked_at")
    fields = ("name", "company", "created_by", "uuid", "created_at", "expires_at",
              "last_used_at", "revoked_at")
    autocomplete_fields = ("company", "created_by")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("uuid", "created_at", "last_used_at", "revoked_at")
        return self.readonly_fields + ("company", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "company", "created_by", "days")
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
