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


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_in_the_error_body(client):
    schema = json.loads(client.get("/spec/v2/openapi.json").content)
    assert schema["components"]["schemas"]["Error"]["required"] == [
        "statusCode", "message", "error"]
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        workspace = path.startswith("/api/workspaces/")
        expected = "#/components/schemas/" + ("WorkspaceError" if workspace else "Error")
        assert {"406", "429"} <= set(responses), (method, path)
        if operation.get("security") != [{}]:
            assert {"401", "403", "404"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"]["$ref"] == expected


def test_path_parameters_appear_only_where_the_path_has_them(client):
    schema = json.loads(client.get("/spec/v2/openapi.json").content)
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert "{" + parameter["name"] + "}" in path, (method, path)


def test_authenticated_posts_document_the_idempotency_key_and_its_422(client):
    operation = json.loads(client.get("/spec/v2/openapi.json").content)["paths"]["/v4/user"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert {"409", "422"} <= set(operation["responses"])


def test_unknown_body_fields_are_documented_as_refused(client):
    schema = json.loads(client.get("/spec/v2/openapi.json").content)
    assert schema["components"]["schemas"]["UserInputRequest"]["additionalProperties"] is False


def test_an_unknown_workspace_address_answers_the_workspace_error_shape(client):
    response = client.get("/api/workspaces/-1/contacts")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_objects_are_named_by_uuid_in_paths(client):
    operation = json.loads(client.get("/spec/v2/openapi.json").content)["paths"]["/v4/rooms/{id}"]
    parameter = next(p for p in operation["get"]["parameters"] if p["name"] == "id")
    assert parameter["schema"] == {"type": "string", "format": "uuid"}
