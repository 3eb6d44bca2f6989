"""One error body for every status: ``{"statusCode", "message", "error", "errors"?}``."""

import http
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from ..errors import DomainError

logger = logging.getLogger("termin.api")

VALIDATION_FAILED = "Validation failed"
BODY_TOO_LARGE = "The request body is larger than the server accepts"
OUT_OF_RANGE = "A date in the request is out of range"
UNSTORABLE = ("A value in the request cannot be stored (text with a NUL character, "
              "or a number out of range)")

# meetergo's names for these statuses, which Python's own list has renamed or may rename.
PHRASES = {413: "Payload Too Large", 414: "URI Too Long", 422: "Unprocessable Entity"}

# The error body, declared once: ``error_body`` builds it under these keys, in this
# order, and the schema hook (``schema.py``) documents it as the ``Error`` component.
ERROR_SCHEMA = {
    "type": "object",
    "description": "The error body of every status under /v4",
    "required": ["statusCode", "message", "error"],
    "properties": {
        "statusCode": {"type": "integer", "example": 400},
        "message": {"type": "string", "example": "Validation failed"},
        "error": {"type": "string", "example": "Bad Request"},
        "errors": {
            "type": "array",
            "description": "The fields at fault, where there are any",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "nullable": True, "example": "email"},
                    "message": {"type": "string", "example": "Enter a valid email address."},
                },
            },
        },
    },
}
STATUS_CODE, MESSAGE, ERROR, ERRORS = ERROR_SCHEMA["properties"]
FIELD, FIELD_MESSAGE = ERROR_SCHEMA["properties"][ERRORS]["items"]["properties"]


# The workspace API's error body (``/api/workspaces/...``), declared once the same way.
WORKSPACE_ERROR_SCHEMA = {
    "type": "object",
    "description": "The error body of the workspace API",
    "required": ["error"],
    "properties": {"error": {"type": "string", "example": "Workspace not found"}},
}
(WORKSPACE_MESSAGE,) = WORKSPACE_ERROR_SCHEMA["properties"]


def workspace_error_body(message: str) -> dict:
    return {WORKSPACE_MESSAGE: message}


def error_body(status: int, message: str, errors: list[dict] | None = None) -> dict:
    phrase = PHRASES.get(status) or http.HTTPStatus(status).phrase
    body = {STATUS_CODE: status, MESSAGE: message, ERROR: phrase}
    if errors:
        body[ERRORS] = errors
    return body


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as ``[{"field": "attendee.email", "message": ...}]``."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = prefix if key in ("non_field_errors", "__all__") else _join(prefix, key)
            out.extend(flatten_errors(value, name))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{FIELD: prefix or None, FIELD_MESSAGE: str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:  # a list serializer gives {} for rows without errors
                out.extend(flatten_errors(item, _join(prefix, str(index))))
        return out
    return [{FIELD: prefix or None, FIELD_MESSAGE: str(detail)}]


def _join(prefix: str, key) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def validation_body(detail) -> dict:
    errors = flatten_errors(detail)
    field_errors = [e for e in errors if e[FIELD]]
    if not field_errors and len(errors) == 1:
        return error_body(400, errors[0][FIELD_MESSAGE])
    return error_body(400, VALIDATION_FAILED, [_clean(e) for e in errors])


def _clean(error: dict) -> dict:
    return error if error[FIELD] else {FIELD: None, FIELD_MESSAGE: error[FIELD_MESSAGE]}


def domain_body(exc: DomainError) -> dict:
    errors = [{FIELD: exc.field, FIELD_MESSAGE: exc.message}] if exc.field else None
    return error_body(exc.status, exc.message, errors)


def exception_handler(exc, context):
    """DRF's exception handler, answering every error in the documented body."""
    if isinstance(exc, DomainError):
        return Response(domain_body(exc), status=exc.status)
    if isinstance(exc, RequestDataTooBig):  # raised when the body is read
        return Response(error_body(413, BODY_TOO_LARGE), status=413)
    if isinstance(exc, DataError):
        # A value the checks let through and the database cannot store (a NUL
        # character, a number past its column's range): the client's input, a 400.
        logger.warning("Input the database refused in %s: %s", context.get("view"), exc)
        return Response(error_body(400, UNSTORABLE), status=400)
    if isinstance(exc, OverflowError):
        # Date arithmetic past year 1 or 9999 on input that a check let through:
        # still the client's input, so a 400 rather than a 500.
        logger.warning("Input out of range in %s: %s", context.get("view"), exc)
        return Response(error_body(400, OUT_OF_RANGE), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else "Not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return Response(validation_body(exc.detail), status=400)
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    logger.exception("Unhandled error in %s", context.get("view"))
    return Response(error_body(500, "Internal server error"), status=500)


def _api_exception_response(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    status = exc.status_code
    return Response(error_body(status, message), status=status, headers=headers)


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)
