"""The token bucket: 200 requests from a full bucket, then 429, shared by processes."""

import uuid

import pytest
import requests

from scheduling.core.api import ratelimit
from scheduling.models import Company
from scheduling.services.api_keys import api_key_create
from tests.conftest import client_for
from tests.support.processes import free_port, web_server


def test_the_bucket_holds_200_and_refills_100_a_minute(settings):
    key = f"test-{uuid.uuid4()}"
    t0 = 1_000_000.0
    decisions = [ratelimit.take_token(key, now=t0) for _ in range(201)]
    assert all(d.allowed for d in decisions[:200])
    assert not decisions[200].allowed
    assert decisions[200].retry_after == 1  # one token takes 0.6 s at 100/min
    assert ratelimit.take_token(key, now=t0 + 0.61).allowed
    assert not ratelimit.take_token(key, now=t0 + 0.61).allowed
    assert ratelimit.take_token(key, now=t0 + 60.61).remaining == 99  # 100 back, 1 taken
    assert ratelimit.take_token(key, now=t0 + 1000).remaining == 199  # never above 200


@pytest.mark.django_db
def test_exactly_200_requests_pass_then_429(owner, settings):
    settings.API_RATE_LIMIT = 1  # a trickle, so the test's own duration adds no token
    client = client_for(owner)
    statuses = [client.get("/v4/user/me").status_code for _ in range(200)]
    assert statuses == [200] * 200
    response = client.get("/v4/user/me")
    assert response.status_code == 429
    body = response.json()
    assert (body["statusCode"], body["error"]) == (429, "Too Many Requests")
    assert int(response["Retry-After"]) >= 1
    assert response["X-RateLimit-Limit"] == "1"
    assert response["X-RateLimit-Remaining"] == "0"


@pytest.mark.django_db
def test_responses_carry_the_rate_limit_headers(api):
    response = api.get("/v4/user/me")
    assert response["X-RateLimit-Limit"] == "100"
    assert response["X-RateLimit-Remaining"] == "199"
    assert int(response["X-RateLimit-Reset"]) >= 1


@pytest.mark.django_db
def test_each_key_has_its_own_bucket(owner, settings):
    settings.API_RATE_BURST = 2
    first, second = client_for(owner), client_for(owner)
    assert [first.get("/v4/user/me").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/v4/user/me").status_code == 200


@pytest.mark.django_db
def test_zero_turns_the_limit_off(owner, settings):
    settings.API_RATE_LIMIT = 0
    settings.API_RATE_BURST = 1
    client = client_for(owner)
    assert {client.get("/v4/user/me").status_code for _ in range(5)} == {200}
    assert "X-RateLimit-Limit" not in client.get("/v4/user/me")


@pytest.mark.django_db
def test_an_unreachable_store_lets_requests_through(owner, settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.API_RATE_BURST = 1
    client = client_for(owner)
    assert [client.get("/v4/user/me").status_code for _ in range(3)] == [200, 200, 200]
    assert "Rate limit store unreachable" in caplog.text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_bucket(owner):
    company = Company.objects.get(pk=owner.company_id)
    _, token = api_key_create(company=company, created_by=owner.user)
    headers = {"Authorization": f"Bearer {token}"}
    with (
        web_server(API_RATE_LIMIT="1") as one,
        web_server(API_RATE_LIMIT="1") as two,
        requests.Session() as session,
    ):
        statuses = [
            session.get(f"{(one, two)[i % 2]}/v4/user/me", headers=headers).status_code
            for i in range(200)
        ]
        assert statuses == [200] * 200
        for base in (one, two):
            response = session.get(f"{base}/v4/user/me", headers=headers)
            assert response.status_code == 429
            assert int(response.headers["Retry-After"]) >= 1
