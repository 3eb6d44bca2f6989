"""Every error status answers the documented body, never HTML, under /v4."""

import pytest

pytestmark = pytest.mark.django_db


def assert_error_body(response, status: int, error: str):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["statusCode"] == status
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_validation_errors_are_400_with_field_errors(api):
    body = assert_error_body(api.post("/v4/user", {}, format="json"), 400, "Bad Request")
    assert body["message"] == "Validation failed"
    assert body["errors"] == [{"field": "email", "message": "This field is required."}]


def test_malformed_json_is_400(api):
    response = api.post("/v4/user", "{nope", content_type="application/json")
    assert_error_body(response, 400, "Bad Request")


def test_unknown_id_is_404(api):
    response = api.get("/v4/user/6f1c7c38-6a4a-4c57-9f8e-1d2b3c4d5e6f")
    assert assert_error_body(response, 404, "Not Found")["message"] == "User not found"


def test_unknown_path_is_404_json(api):
    assert_error_body(api.get("/v4/no-such-thing"), 404, "Not Found")


def test_unsupported_method_is_405(api):
    assert_error_body(api.put("/v4/user/me", {}, format="json"), 405, "Method Not Allowed")


def test_unsupported_media_type_is_415(api):
    response = api.post("/v4/user", "email=a@b.c", content_type="text/plain")
    assert_error_body(response, 415, "Unsupported Media Type")


def test_forbidden_is_403(member):
    from tests.conftest import client_for

    response = client_for(member).post("/v4/user", {"email": "x@example.com"}, format="json")
    assert_error_body(response, 403, "Forbidden")


def test_unauthenticated_is_401(client):
    assert_error_body(client.get("/v4/user"), 401, "Unauthorized")


def test_a_server_error_is_500_json(api, settings):
    settings.ROOT_URLCONF = "tests.support.urls"
    body = assert_error_body(api.get("/v4/test-boom"), 500, "Internal Server Error")
    assert "boom" not in body["message"]  # internals stay in the log


def test_limit_over_100_is_400(api):
    body = assert_error_body(api.get("/v4/user?limit=101"), 400, "Bad Request")
    assert body["errors"][0]["field"] == "limit"


def test_page_below_1_is_400(api):
    assert_error_body(api.get("/v4/user?page=0"), 400, "Bad Request")


def test_a_page_past_the_end_is_empty(api):
    body = api.get("/v4/user?page=9").json()
    assert body == {"data": [], "total": 1, "page": 9, "limit": 20}


@pytest.mark.postgresql(reason="SQLite stores a NUL character; PostgreSQL refuses it")
def test_text_the_database_cannot_store_is_400(api, settings):
    """Input that passed every check and that the database refuses is the client's."""
    settings.ROOT_URLCONF = "tests.support.urls"
    response = api.get("/v4/test-unstorable", {"name": "vip\x00"})
    body = assert_error_body(response, 400, "Bad Request")
    assert "NUL" in body["message"]
