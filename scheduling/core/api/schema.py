"""Every status an operation can answer, documented in one place.

drf-spectacular documents the answer each view declares on success; this
postprocessing hook adds the error answers, which come from layers every view
shares rather than from the views themselves:

- 429 on every operation: the per-key token bucket, the per-address limits of the
  attendee operations, and the failed-authentication throttle for any request
  that carries credentials. 406 too: an ``Accept`` header that admits no JSON.
- 401, 403 and 404 on every authenticated operation: a credential that does not
  work; a role its maker lacks, or a personal token naming another user in
  ``x-meetergo-api-user-id``; a user named there who is not in the company.
- 403 also where a required header carries a secret (the attendee operations).
- 404 where the path names an object.
- 400 where the client sends input: a body (also on the deletes that read one),
  query parameters, or an ``Idempotency-Key`` (every authenticated POST).
- 409 on every POST (an ``Idempotency-Key`` still in use, and the services'
  conflicts) and on the other writes in ``CONFLICTING_WRITES``.
- 413 on operations with a body, 414 on those with path or query parameters
  (``scheduling/requestlimits.py``); 415 on those with a body sent as another type
  than JSON.
- 422 on authenticated POSTs: an ``Idempotency-Key`` reused with another body.

Errors under ``/v4`` have the body of ``scheduling/core/api/errors.py``; the workspace API
(``/api/workspaces/...``) answers ``{"error": "<message>"}``.

It also corrects what drf-spectacular cannot know from a viewset: a path parameter
appears only on the routes whose path has it, an object's ``{id}`` is its UUID
(not the model's integer key), and authenticated POSTs take ``Idempotency-Key``.
Query parameters of lists are their FilterSets' (``ApiAutoSchema``).
"""

import re

from drf_spectacular.openapi import AutoSchema

from .errors import ERROR_SCHEMA, WORKSPACE_ERROR_SCHEMA
from .filters import ApiFilterBackend
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH

ERROR = "Error"
WORKSPACE_ERROR = "WorkspaceError"
WORKSPACE_PREFIX = "/api/workspaces/"
# drf-spectacular's description of a path parameter taken from an integer primary key.
INTEGER_PK = re.compile(r"A unique integer value identifying this ")

# Writes other than POST whose services can refuse them with a Conflict (409).
CONFLICTING_WRITES = {
    ("patch", "/v4/appointment/{id}"),  # a cancelled or past appointment; a host not free
    ("patch", "/v4/crm/{id}"),  # the email is taken
    ("patch", "/crm/{id}"),  # the email is taken
    ("delete", "/v4/appointment/{id}"),  # already cancelled
    ("patch", "/v4/meeting-type/{id}"),  # the slug is taken
    ("delete", "/v4/queue/{id}"),  # meeting types still use the queue
    ("patch", "/v4/rooms/{id}"),  # the name is taken
    ("patch", "/v4/user/{id}"),  # the email is taken
    ("delete", "/v4/user/{id}"),  # upcoming appointments without reassignTo or cancel
}

# Deletes that read a body (OpenAPI 3.0 documents none on DELETE), so a 400 for it.
DELETES_WITH_A_BODY = {
    ("delete", "/v4/appointment/{id}"),  # {reason, notifyAttendees, attendeeId, ...}
}

DESCRIPTIONS = {
    400: "The input is invalid (the fields at fault in `errors`) or a rule refuses it",
    401: "Missing, malformed, unknown, expired or revoked credential",
    403: "Not allowed: the credential's maker lacks the role, a personal token names "
         "another user in x-meetergo-api-user-id, or a secret does not match",
    404: "Not found in the credential's company (the object of the path, or the user "
         "named in x-meetergo-api-user-id)",
    406: "The Accept header admits no JSON, the only type the API answers",
    409: "Conflicts with the current state (an Idempotency-Key still in use, a taken "
         "name, an appointment that can no longer change)",
    413: "The request body is larger than the server accepts",
    414: "The address is longer than the server accepts",
    415: "The request body is not JSON (Content-Type: application/json)",
    422: "The Idempotency-Key was already used with another request body",
    429: "Too many requests; retry after Retry-After seconds",
}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"},
}


def error_responses(result, generator, request, public, **kwargs):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS``)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = ERROR_SCHEMA
    schemas[WORKSPACE_ERROR] = WORKSPACE_ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in ("get", "put", "post", "patch", "delete"):
                _document(path, method, operation)
    return result


def _document(path: str, method: str, operation: dict) -> None:
    _drop_parameters_not_in(path, operation)
    _name_objects_by_uuid(operation)
    if _authenticated(operation) and method == "post":
        _add_idempotency_key(operation)
    component = WORKSPACE_ERROR if path.startswith(WORKSPACE_PREFIX) else ERROR
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses(path, method, operation)):
        responses.setdefault(str(status), _response(status, component))


def statuses(path: str, method: str, operation: dict) -> set[int]:
    """The error statuses ``method path`` can answer (the rules of the module docstring)."""
    where = {p["in"] for p in operation.get("parameters", [])}
    body = "requestBody" in operation
    found = {406, 429}
    if _authenticated(operation):
        found |= {401, 403, 404}
        if method == "post":
            found |= {400, 422}  # the Idempotency-Key header
    if _secret_header(operation):
        found.add(403)
    if "path" in where:
        found |= {404, 414}
    if "query" in where:
        found |= {400, 414}
    if body or (method, path) in DELETES_WITH_A_BODY:
        found |= {400, 413, 415}
    if method == "post" or (method, path) in CONFLICTING_WRITES:
        found.add(409)
    return found


def _authenticated(operation: dict) -> bool:
    """Whether the operation needs a credential (``{}`` in its security is "none")."""
    security = operation.get("security", [])
    return bool(security) and all(requirement for requirement in security)


def _secret_header(operation: dict) -> bool:
    """Whether a required header authorises the operation instead of a credential."""
    return any(p["in"] == "header" and p.get("required") for p in operation.get("parameters", []))


def _drop_parameters_not_in(path: str, operation: dict) -> None:
    """A viewset's path parameter applies to its detail routes only: drop it where
    the path has no such placeholder (its list and create operations)."""
    placeholders = set(re.findall(r"{([^}]+)}", path))
    operation["parameters"] = [
        p for p in operation.get("parameters", [])
        if p["in"] != "path" or p["name"] in placeholders
    ]
    if not operation["parameters"]:
        del operation["parameters"]


def _name_objects_by_uuid(operation: dict) -> None:
    """drf-spectacular types a viewset's ``{id}`` from the model's integer primary key;
    the API names every object by its UUID instead."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and INTEGER_PK.match(parameter.get("description", "")):
            parameter["schema"] = {"type": "string", "format": "uuid"}
            parameter["description"] = "The object's id (a UUID)"


def _add_idempotency_key(operation: dict) -> None:
    parameters = operation.setdefault("parameters", [])
    if any(p["name"].lower() == IDEMPOTENCY_HEADER.lower() for p in parameters):
        return
    parameters.append({
        "in": "header",
        "name": IDEMPOTENCY_HEADER,
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        "description": "The same key with the same body answers the first response again "
                       "(24 h); with another body, 422",
    })


def _response(status: int, component: str) -> dict:
    response = {
        "description": DESCRIPTIONS.get(status, ""),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }
    if status == 429:
        response["headers"] = RETRY_AFTER
    return response


class ApiAutoSchema(AutoSchema):
    """Every GET whose view has a FilterSet documents its filters, whatever the shape
    of the answer (meetergo's lists are bare arrays and envelopes of their own)."""

    def get_filter_backends(self):
        if self.method != "GET" or getattr(self.view, "filterset_class", None) is None:
            return []
        return getattr(self.view, "filter_backends", None) or [ApiFilterBackend]
