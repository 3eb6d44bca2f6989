"""``Idempotency-Key`` on POST: replays answer the first response, once."""

import threading

import pytest
from django.db import connection

from scheduling.models import Company, Membership, User
from tests.conftest import client_for


def create_user(client, key: str, email: str = "idem@example.com"):
    return client.post(
        "/v4/user", {"email": email, "firstname": "Ida"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.mark.django_db
def test_a_replay_returns_the_first_response(api):
    first = create_user(api, "k1")
    again = create_user(api, "k1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert User.objects.filter(email="idem@example.com").count() == 1


@pytest.mark.django_db
def test_a_different_body_with_the_same_key_is_422(api):
    create_user(api, "k2")
    response = create_user(api, "k2", email="other@example.com")
    assert response.status_code == 422
    assert response.json()["error"] == "Unprocessable Entity"
    assert not User.objects.filter(email="other@example.com").exists()


@pytest.mark.django_db
def test_an_error_response_is_replayed_too(api):
    first = api.post("/v4/user", {"email": "bad"}, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    again = api.post("/v4/user", {"email": "bad"}, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    assert first.status_code == again.status_code == 400
    assert first.json() == again.json()


@pytest.mark.django_db
def test_keys_are_scoped_to_the_company(api, other_company):
    create_user(api, "shared")
    other = client_for(other_company[1])
    response = create_user(other, "shared", email="globex@example.com")
    assert response.status_code == 201
    assert response.json()["email"] == "globex@example.com"


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_make_one_user_and_the_same_response(owner):
    owner = Membership.objects.select_related("company", "user").get(pk=owner.pk)
    clients = [client_for(owner) for _ in range(10)]
    barrier = threading.Barrier(10)
    results = [None] * 10

    def run(i):
        barrier.wait()
        try:
            results[i] = create_user(clients[i], "race", email="race@example.com")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.content for r in results}) == 1
    assert User.objects.filter(email="race@example.com").count() == 1
    assert Company.objects.count() == 1
