"""Root URLs: the admin, the ``/v4`` API, its OpenAPI schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from scheduling import invitations
from scheduling.core.api.errors import json_error

# "Forgot your password?" on the admin's sign-in page, and the page that sets a
# password from an invitation (scheduling/invitations.py): Django's own views and
# tokens, under the reserved admin/ prefix and before the admin's catch-all.
_admin_look = {"extra_context": invitations.admin_look()}
password_urls = [
    path("admin/password_reset/", invitations.PasswordResetView.as_view(**_admin_look),
         name="admin_password_reset"),
    path("admin/password_reset/done/", auth_views.PasswordResetDoneView.as_view(**_admin_look),
         name="password_reset_done"),
    path("admin/reset/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(**_admin_look),
         name="password_reset_confirm"),
    path("admin/reset/done/", auth_views.PasswordResetCompleteView.as_view(**_admin_look),
         name="password_reset_complete"),
]

urlpatterns = [
    *password_urls,
    path("admin/", admin.site.urls),
    path("v4/", include("scheduling.api.urls")),
    path("v4/", include("crm.api.urls")),
    path("v4/", include("webhooks.api.urls")),
    path("api/", include("crm.api.workspace_urls")),
    # meetergo's contacts and webhooks live at the host root, not under /v4.
    path("", include("crm.api.meetergo_urls")),
    path("", include("webhooks.api.meetergo_urls")),
    path("spec/v2/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("spec/v2", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="swagger-ui"),
    # Last: /<slug> is a user's booking page and must not shadow the routes above.
    path("", include("scheduling.pages.urls")),
]

# The API's top-level paths: any address under them that matches no route is the
# API's JSON 404, never a booking page's HTML one (crm and webhooks are meetergo's
# paths at the host root; all are reserved slugs, scheduling/models.RESERVED_SLUGS).
API_ROOTS = frozenset({"v4", "api", "crm", "webhooks"})


def is_api_path(path: str) -> bool:
    """``/crm``, ``/crm/...``, but not a user's page such as ``/crmteam``."""
    return path.split("/", 2)[1] in API_ROOTS


def handler404(request, exception=None):
    if request.path_info.startswith("/api/"):  # the workspace API's own error shape
        return JsonResponse({"error": "Not found"}, status=404)
    if is_api_path(request.path_info):
        return json_error(404, "Not found")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if is_api_path(request.path_info):
        return json_error(500, "Internal server error")
    from django.views.defaults import server_error

    return server_error(request)
