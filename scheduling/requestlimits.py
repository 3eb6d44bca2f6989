"""Limits on the size of a request, answered before any view runs.

- An address (path and query) longer than ``MAX_URL_LENGTH`` characters is a 414.
  gunicorn refuses a request line longer than its ``--limit-request-line`` with an
  HTML page of its own, so Termin runs it with that limit raised to its maximum
  (8190 bytes, bin/quickstart and the production command in docs/operations.md): every address
  a client can send below that reaches this check and gets Termin's answer.
- A body longer than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` by its ``Content-Length`` is a
  413 under the API, before anything reads it (Django would raise
  ``RequestDataTooBig`` when a view reads it; the API's exception handler answers
  that with the same 413).

Under ``/v4`` the answers are the documented error body, under the workspace API
its ``{"error": ...}``; elsewhere a short plain-text response.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from .core.api.errors import BODY_TOO_LARGE, json_error, workspace_error_body
from .core.api.paths import is_api_path, is_workspace_path

URL_TOO_LONG = "The address is longer than the server accepts"


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.get_full_path()) > settings.MAX_URL_LENGTH:
            return _refuse(request, 414, URL_TOO_LONG)
        # Only the API: elsewhere uploads (the admin's CSV import) may be larger,
        # since Django's limit leaves files out.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api_path(request.path) and limit is not None and _content_length(request) > limit:
            return _refuse(request, 413, BODY_TOO_LARGE)
        return self.get_response(request)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refuse(request, status: int, message: str) -> HttpResponse:
    if is_workspace_path(request.path):  # that API's own error shape
        return JsonResponse(workspace_error_body(message), status=status)
    if is_api_path(request.path):
        return json_error(status, message)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
