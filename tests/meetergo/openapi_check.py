"""Answers held against the OpenAPI schema that generated clients read (STYLE 11)."""

import functools
import json

from django.test import Client
from jsonschema import Draft202012Validator


@functools.cache
def openapi() -> dict:
    return json.loads(Client().get("/spec/v2/openapi.json").content)


def _nullable(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's ``null`` type."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches_schema(path: str, method: str, status: int, body) -> None:
    """``body`` validates against what ``/spec/v2/openapi.json`` promises for this answer."""
    schema = openapi()
    response = schema["paths"][path][method]["responses"][str(status)]
    target = response["content"]["application/json"]["schema"]
    document = _nullable({**target, "components": schema["components"]})
    errors = list(Draft202012Validator(document).iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
