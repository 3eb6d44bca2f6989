"""Answers held against the OpenAPI schema that generated clients read (STYLE 11).

``tests/conftest.py`` passes every answer the suite gets through Django's test
client (and DRF's ``APIClient``, which is one) on an API path to ``check``: the
JSON body must validate against what ``/spec/v2/openapi.json`` documents for
that operation and status, and the status must be documented. The schema is
read stricter than a client would: an object may carry no key its schema does
not name (a generated client would drop it), and a date-time must carry a
numeric offset (SPEC section 7: never ``Z``).

Operations answered successfully are counted, so the suite can tell which
documented operations it never exercised.
"""

import collections
import datetime as dt
import functools
import json
import re

from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker

# The paths the schema documents: /v4, meetergo's /crm and /webhooks at the host
# root, and the workspace API (config/urls.py, API_ROOTS).
API_ROOTS = ("v4", "crm", "webhooks", "api")
WORKSPACE_ROOT = "/api/"  # the workspace API answers {"error"}, even where nothing is
METHODS = ("get", "post", "put", "patch", "delete")

# (method, path template) -> statuses answered, over the whole run.
answered: dict[tuple[str, str], collections.Counter] = collections.defaultdict(
    collections.Counter)
COVERAGE_TEST = "test_the_suite_answers_every_documented_operation"
whole_suite = True  # every test module collected, nothing deselected (tests/conftest.py)
missing: list[str] | None = None  # what the coverage test found, for the summary


def is_api_path(path: str) -> bool:
    return path.split("/", 2)[1] in API_ROOTS


@functools.cache
def openapi() -> dict:
    return json.loads(Client().get("/spec/v2/openapi.json").content)


def _strict(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's ``null`` type, and every object
    that names its properties closed to other keys."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _offset_datetime(value) -> bool:
    """ISO 8601 with a numeric offset, as every datetime the API answers."""
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value)
    return parsed.tzinfo is not None and not value.endswith("Z")


@formats.checks("date", raises=ValueError)
def _date(value) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value))


@functools.cache
def _components() -> dict:
    return _strict(openapi()["components"])


@functools.cache
def _validator(schema_json: str) -> Draft202012Validator:
    document = {**_strict(json.loads(schema_json)), "components": _components()}
    return Draft202012Validator(document, format_checker=formats)


def schema_errors(schema: dict, body) -> list[str]:
    """Where ``body`` departs from ``schema`` (a response schema of the document)."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in validator.iter_errors(body)][:5]


def assert_matches_schema(path: str, method: str, status: int, body) -> None:
    """``body`` validates against what the schema promises for this answer."""
    response = openapi()["paths"][path][method]["responses"][str(status)]
    errors = schema_errors(response["content"]["application/json"]["schema"], body)
    assert not errors, errors


@functools.cache
def _templates() -> list[tuple[re.Pattern, str]]:
    """Each documented path as a pattern; literal paths before templated ones, so
    ``/v4/appointment/today`` is not read as ``/v4/appointment/{id}``."""
    found = []
    for path in openapi()["paths"]:
        pattern = re.escape(path)
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", pattern)
        found.append((path.count("{"), re.compile(f"^{pattern}$"), path))
    return [(pattern, path) for _, pattern, path in sorted(found, key=lambda f: f[0])]


def template_of(path: str) -> str | None:
    return next((template for pattern, template in _templates() if pattern.match(path)), None)


def _error_component(path: str) -> dict:
    name = "WorkspaceError" if path.startswith(WORKSPACE_ROOT) else "Error"
    return {"$ref": f"#/components/schemas/{name}"}


def check(method: str, path: str, response) -> list[str]:
    """What is wrong with ``response`` to ``method path`` by the schema."""
    method = method.lower()
    template = template_of(path)
    operation = openapi()["paths"].get(template, {}).get(method) if template else None
    status = response.status_code
    if operation is None:
        # No such operation: only an error in the documented error body will do.
        if status < 400:
            return [f"{method.upper()} {path}: {status} from an undocumented operation"]
        return _body_errors(response, _error_component(path))
    answered[(method, template)][status] += 1
    documented = operation["responses"].get(str(status))
    if documented is None:
        return [f"{method.upper()} {template}: status {status} is not documented "
                f"(documented: {', '.join(sorted(operation['responses']))})"]
    content = documented.get("content", {}).get("application/json")
    if content is None:
        return [] if not response.content else [f"{status} documents no body"]
    return [f"{method.upper()} {template} {status}: {error}"
            for error in _body_errors(response, content["schema"])]


def _body_errors(response, schema: dict) -> list[str]:
    if getattr(response, "streaming", False):
        return ["a streamed answer where JSON is documented"]
    kind = response.get("Content-Type", "")
    if not kind.startswith("application/json"):
        return [f"answered {kind or 'no content type'}, not JSON"]
    return schema_errors(schema, json.loads(response.content))


def unexercised() -> list[str]:
    """Documented operations the run never answered with success."""
    missing = []
    for path, operations in openapi()["paths"].items():
        for method in operations:
            if method not in METHODS:
                continue
            statuses = answered.get((method, path), {})
            if not any(200 <= status < 300 for status in statuses):
                missing.append(f"{method.upper()} {path}")
    return missing
