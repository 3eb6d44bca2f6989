"""The OpenAPI schema and Swagger UI, readable without a key."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_needs_no_key_and_declares_the_bearer_scheme(client):
    response = client.get("/spec/v2/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/v4/user" in schema["paths"]
    assert "/v4/user/me" in schema["paths"]


def test_swagger_ui_is_served_without_external_assets(client):
    response = client.get("/spec/v2")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
