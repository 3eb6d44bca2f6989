"""The staff console of every company (SPEC section 6): one admin site, scoped.

Each member of a company signs in to ``/admin`` and works in one company at a time
(a switcher when they belong to several, remembered in the session), with the
rights the API gives their role: ``core.access`` decides, as it does for every
other entry point. Superusers are the installation's operators: they alone see
every company, set ``is_staff``/``is_superuser`` and see installation-wide tables.

``CompanyScopedAdmin`` is the base of every ``ModelAdmin`` of the project, and
``CompanyScopedInline`` of every inline: querysets, change/delete/history views
(through the queryset), foreign-key choices and autocompletes (through the related
model's admin), filters and actions are all scoped to the signed-in company.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..choices import Role
from ..models import ACTIVE_STATUSES, Appointment, Membership
from .access import Access, member_access, operator_access
from .errors import DomainError, Unauthenticated

SESSION_KEY = "termin_admin_company"
UPCOMING_LIMIT = 50

# What members (below admin) may do with a model's rows.
NONE = "none"  # nothing: admins and owners only
VIEW = "view"  # read the company's rows
SHARED = "shared"  # read, add and change the company's rows; delete is for admins
OWN = "own"  # read and manage the rows they own (``owner_field``)


def admin_memberships(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return list(Membership.objects.select_related("company", "user")
                .filter(user=user).order_by("company__name", "pk"))


def admin_access(request) -> Access | None:
    """The signed-in member's access in the company they work in now (None for a
    user of no company). Operators get one too when they are members; their reach
    beyond it comes from ``is_operator``."""
    if not hasattr(request, "_termin_admin_access"):
        request._termin_admin_access = _current_access(request)
    return request._termin_admin_access


def _current_access(request) -> Access | None:
    memberships = admin_memberships(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY)
    membership = next((m for m in memberships if m.company_id == chosen), memberships[0])
    try:
        return member_access(membership=membership)
    except Unauthenticated:
        return None


def is_operator(request) -> bool:
    user = request.user
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def actor_for(request, company) -> Access:
    """Who an admin write acts as, for the services: the signed-in member, or an
    operator acting with an owner's rights in ``company``."""
    access = admin_access(request)
    if access is not None and access.company.pk == company.pk:
        return access
    if is_operator(request):
        return operator_access(company=company, user=request.user)
    raise PermissionDenied


class MemberAuthenticationForm(AdminAuthenticationForm):
    """Every active member of a company may sign in, not only ``is_staff`` users."""

    def confirm_login_allowed(self, user):
        if not user.is_active or not (user.is_superuser or user.memberships.exists()):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class TerminAdminSite(admin.AdminSite):
    site_header = "Termin"
    site_title = "Termin"
    index_title = "Console"
    login_form = MemberAuthenticationForm
    index_template = "admin/termin_index.html"

    def has_permission(self, request) -> bool:
        return is_operator(request) or admin_access(request) is not None

    def each_context(self, request):
        context = super().each_context(request)
        context["termin_access"] = admin_access(request)
        context["termin_memberships"] = admin_memberships(request.user)
        context["termin_operator"] = is_operator(request)
        return context

    def get_urls(self):
        switch = self.admin_view(require_POST(self.switch_company))
        return [path("company/", switch, name="switch_company"), *super().get_urls()]

    def switch_company(self, request):
        """Work in another of the signed-in user's companies."""
        wanted = request.POST.get("company", "")
        mine = {str(m.company_id): m for m in admin_memberships(request.user)}
        if wanted not in mine:
            raise PermissionDenied
        request.session[SESSION_KEY] = mine[wanted].company_id
        messages.info(request, f"You are working in {mine[wanted].company}.")
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def index(self, request, extra_context=None):
        context = {**(extra_context or {}), **upcoming_for(request)}
        return super().index(request, extra_context=context)


def upcoming_for(request, now: dt.datetime | None = None) -> dict:
    """The signed-in user's appointments that still hold their time today and in
    the next seven days, in the company they work in."""
    access = admin_access(request)
    if access is None:
        return {"upcoming_today": [], "upcoming_week": []}
    now = now or timezone.now()
    zone = ZoneInfo(access.user.timezone or "UTC")
    end_of_today = dt.datetime.combine(now.astimezone(zone).date() + dt.timedelta(days=1),
                                       dt.time(0), zone)
    rows = list(Appointment.objects.filter(
        company=access.company, host_rows__host=access.user, host_rows__active=True,
        status__in=ACTIVE_STATUSES, end__gt=now, start__lt=now + dt.timedelta(days=7),
    ).prefetch_related("attendees").order_by("start", "pk").distinct()[:UPCOMING_LIMIT])
    return {"upcoming_today": [a for a in rows if a.start < end_of_today],
            "upcoming_week": [a for a in rows if a.start >= end_of_today]}


# --- the scoping of every ModelAdmin ----------------------------------------------------


class ScopedRights:
    """Rights and choices shared by model admins and inlines."""

    company_field = "company"  # the lookup from the model to its Company
    owner_field: str | None = None  # the lookup to the user who owns a row (``OWN``)
    members = NONE  # what members may do (see the constants above)
    read_only = False  # rows no one changes here (logs)
    operator_only = False  # installation-wide rows

    def _may(self, request, action: str, obj=None) -> bool:
        if is_operator(request):
            return not (self.read_only and action != "view")
        access = admin_access(request)
        if access is None or self.operator_only:
            return False
        if self.read_only and action != "view":
            return False
        if access.has_role(Role.ADMIN):
            return True
        if self.members == VIEW:
            return action == "view"
        if self.members == SHARED:
            return action != "delete"
        if self.members == OWN:
            return obj is None or self.owns(access, obj)
        return False

    def owns(self, access: Access, obj) -> bool:
        rows = type(obj)._default_manager.filter(pk=obj.pk, **{self.owner_field: access.user.pk})
        return rows.exists()

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request, "view", obj)

    def has_add_permission(self, request, *args) -> bool:
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may(request, "delete", obj)

    def has_module_permission(self, request) -> bool:
        return self._may(request, "view")

    def scope(self, request, queryset):
        """``queryset`` narrowed to what the signed-in member may see."""
        if is_operator(request):
            return queryset
        access = admin_access(request)
        if access is None or self.operator_only:
            return queryset.none()
        queryset = queryset.filter(**{self.company_field: access.company.pk})
        if self.members == OWN and not access.has_role(Role.ADMIN):
            queryset = queryset.filter(**{self.owner_field: access.user.pk})
        return queryset.distinct() if "__" in self.company_field + (self.owner_field or "") \
            else queryset

    def get_field_queryset(self, db, db_field, request):
        """Foreign-key and many-to-many choices come from the related model's admin,
        so they are scoped like its list (and its autocomplete)."""
        related = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(related, ScopedRights):
            return related.get_queryset(request)
        if is_operator(request):
            return super().get_field_queryset(db, db_field, request)
        return db_field.remote_field.model._default_manager.none()


class CompanyScopedAdmin(ScopedRights, admin.ModelAdmin):
    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def get_list_filter(self, request):
        """No company filter for members of one company, and relation filters that
        offer only the values in their own rows."""
        filters = super().get_list_filter(request)
        if is_operator(request):
            return filters
        scoped = []
        for item in filters:
            if isinstance(item, str):
                if item == "company" or item.endswith("__company"):
                    continue
                if get_fields_from_path(self.model, item)[-1].is_relation:
                    item = (item, admin.RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped

    def get_actions(self, request):
        """Actions change rows, so they need the change right unless they declare
        what they need (``allowed_permissions``)."""
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            return actions
        return {name: action for name, action in actions.items()
                if getattr(action[0], "allowed_permissions", None)}

    def delete_queryset(self, request, queryset):
        """Each row through ``delete_model``, so a delete of many runs the same
        service as a delete of one."""
        for obj in queryset:
            self.delete_model(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        access = admin_access(request)
        if access is not None and self.company_field == "company":
            initial.setdefault("company", access.company.pk)
        return initial


class CompanyScopedInline(ScopedRights):
    """An inline's rights are its parent's; its choices are scoped like the parent's."""

    def _parent(self):
        return self.admin_site._registry.get(self.parent_model)

    def _may(self, request, action: str, obj=None) -> bool:
        parent = self._parent()
        if self.read_only and action != "view":
            return False
        if parent is None:
            return is_operator(request)
        permission = {"view": parent.has_view_permission, "add": parent.has_change_permission,
                      "change": parent.has_change_permission,
                      "delete": parent.has_change_permission}[action]
        return permission(request, obj)


# --- writes through the services ------------------------------------------------------


class _DryRun(Exception):
    """Rolls back a service call made only to validate a form."""


class ServiceWriteAdmin(CompanyScopedAdmin):
    """A model admin whose writes go through a service, as the API's do.

    ``service_save(request, instance, data)`` creates (``instance.pk`` is None) or
    changes the row and returns it. The form's validation runs it once in a
    transaction that is rolled back, so every rule of the service shows as a form
    error (``service_fields`` maps a service's field names to the form's); saving
    runs it for real.
    """

    service_fields: dict[str, str] = {}

    def service_save(self, request, instance, data: dict):
        raise NotImplementedError

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        admin_ = self

        class ServiceForm(form_class):
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                try:
                    with transaction.atomic():
                        admin_.service_save(request, self.instance, data)
                        raise _DryRun
                except _DryRun:
                    pass
                except DomainError as exc:
                    admin_.show_error(self, exc)
                return data

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def show_error(self, form, exc: DomainError) -> None:
        """The service's error on the form field it names (``channels.0`` on
        ``channels``, saying which item), else on the whole form."""
        name = exc.field or ""
        head = name.split(".")[0]
        field = self.service_fields.get(name) or self.service_fields.get(head) or head
        message = f"{name}: {exc.message}" if "." in name else exc.message
        form.add_error(field if field in form.fields else None, message)

    def save_model(self, request, obj, form, change):
        saved = self.service_save(request, form.instance if change else obj, form.cleaned_data)
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        # The service set the relations; only inlines are left to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_deleted_objects(self, objs, request):
        """Django's summary, plus each service's refusal shown as what protects the
        row (so the delete page refuses instead of failing)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            try:
                with transaction.atomic():
                    self.delete_model(request, obj)
                    raise _DryRun
            except _DryRun:
                pass
            except DomainError as exc:
                protected = [*protected, f"{obj}: {exc.message}"]
        return deleted, counts, perms_needed, protected
