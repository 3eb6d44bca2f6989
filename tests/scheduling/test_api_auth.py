"""Authentication: every failure is a 401 in the documented body; acting for users."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.models import ApiKey
from scheduling.services.api_keys import api_key_create, api_key_revoke
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def get_me(authorization: str | None, **headers):
    client = APIClient()
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    return client.get("/v4/user/me", **headers)


def assert_unauthorized(response, message_part: str):
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401
    assert body["error"] == "Unauthorized"
    assert message_part in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_missing_key_is_401():
    assert_unauthorized(get_me(None), "Missing API key")


@pytest.mark.parametrize(
    "header",
    ["Basic abc", "Bearer", "Bearer ak_live", "Bearer ak_test:0b7e:secret",
     "Bearer ak_live:not-a-uuid:secret", "Bearer ak_live:6f1c7c38-6a4a-4c57-9f8e-1d2b3c4d5e6f:"],
)
def test_a_malformed_key_is_401(header):
    assert_unauthorized(get_me(header), "Malformed")


def test_an_unknown_key_is_401():
    assert_unauthorized(
        get_me("Bearer ak_live:6f1c7c38-6a4a-4c57-9f8e-1d2b3c4d5e6f:abcdefabcdefabcdef"),
        "Invalid API key",
    )


def test_a_wrong_secret_is_401(owner):
    api_key, token = api_key_create(company=owner.company, created_by=owner.user)
    assert_unauthorized(get_me(f"Bearer ak_live:{api_key.uuid}:wrong-secret"), "Invalid API key")
    assert get_me(f"Bearer {token}").status_code == 200


def test_an_expired_key_is_401(owner):
    api_key, token = api_key_create(company=owner.company, created_by=owner.user, days=1)
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_unauthorized(get_me(f"Bearer {token}"), "expired")


def test_a_revoked_key_is_401(owner):
    api_key, token = api_key_create(company=owner.company, created_by=owner.user)
    api_key_revoke(api_key=api_key)
    assert_unauthorized(get_me(f"Bearer {token}"), "revoked")


def test_only_a_digest_of_the_secret_is_stored(owner):
    api_key, token = api_key_create(company=owner.company, created_by=owner.user)
    secret = token.rsplit(":", 1)[1]
    assert len(secret) >= 32
    assert api_key.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=api_key.pk).values().get())


def test_a_key_records_when_it_was_last_used(owner):
    api_key, token = api_key_create(company=owner.company, created_by=owner.user)
    assert api_key.last_used_at is None
    get_me(f"Bearer {token}")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


@pytest.mark.parametrize("days", [0, 91])
def test_expiry_must_be_between_1_and_90_days(owner, days):
    from scheduling.core.errors import DomainError

    with pytest.raises(DomainError):
        api_key_create(company=owner.company, created_by=owner.user, days=days)


def test_a_key_acts_for_a_named_user_of_its_company(owner, member):
    response = client_for(owner, act_as=member).get("/v4/user/me")
    assert response.status_code == 200
    assert response.json()["userId"] == str(member.user.uuid)


def test_acting_for_a_user_of_another_company_is_404(owner, other_company):
    stranger = other_company[1]
    response = client_for(owner, act_as=stranger).get("/v4/user/me")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "User not found", "error": "Not Found"}


def test_acting_for_a_malformed_user_id_is_404(owner):
    client = client_for(owner)
    response = client.get("/v4/user/me", HTTP_X_MEETERGO_API_USER_ID="nope")
    assert response.status_code == 404


def test_the_acting_users_role_decides(owner, member):
    # The owner's key, acting for a member, may not create users.
    client = client_for(owner, act_as=member)
    response = client.post("/v4/user", {"email": "new@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
