"""``Idempotency-Key`` on POST: replays answer the first response, once, and only
to the credential that sent it, acting for the same user."""

import threading

import pytest
from django.db import connection
from django.http import HttpResponse
from rest_framework.test import APIClient

from scheduling.choices import QueueKind
from scheduling.core.access import member_access
from scheduling.core.api import idempotency
from scheduling.core.errors import Conflict
from scheduling.models import Appointment, Company, IdempotencyRecord, Membership, User
from scheduling.services.queues import queue_create
from tests.conftest import client_for, make_member
from tests.scheduling.conftest import make_meeting_type
from tests.scheduling.test_bookings import at, booking, utc_host


def with_token(token: str, act_as: Membership | None = None) -> APIClient:
    """A client sending an existing credential, acting for ``act_as`` if given."""
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if act_as is not None:
        headers["HTTP_X_MEETERGO_API_USER_ID"] = str(act_as.user.uuid)
    client.credentials(**headers)
    client.token = token
    return client


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
    token = client_for(owner).token
    clients = [with_token(token) for _ in range(10)]  # one credential, ten connections
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


# --- records belong to one credential acting for one user ------------------------------


@pytest.fixture
def team(owner):
    """Two hosts in a round robin, so the same booking body can be booked twice."""
    members = [utc_host(make_member(owner)) for _ in range(2)]
    queue = queue_create(company=owner.company, actor=owner, name="Team",
                         kind=QueueKind.ROUND_ROBIN,
                         member_ids=[str(m.user.uuid) for m in members])
    return members, make_meeting_type(owner, queue_id=str(queue.uuid))


def book(client, meeting_type, day, key: str = "book-once"):
    return client.post("/v4/booking", booking(meeting_type, at(day, 9)), format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_another_credential_of_the_company_with_the_same_key_and_body_books_anew(
    owner, team, day
):
    _, meeting_type = team
    first = book(client_for(owner), meeting_type, day)
    second = book(client_for(owner), meeting_type, day)
    assert first.status_code == second.status_code == 201, second.json()
    assert first.json()["appointmentId"] != second.json()["appointmentId"]
    assert first.json()["secret"] != second.json()["secret"]
    assert Appointment.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db
def test_one_platform_key_acting_for_two_users_shares_no_record(owner, team, day):
    members, meeting_type = team
    token = client_for(owner).token
    first = book(with_token(token, act_as=members[0]), meeting_type, day)
    second = book(with_token(token, act_as=members[1]), meeting_type, day)
    assert first.status_code == second.status_code == 201, second.json()
    assert first.json()["secret"] != second.json()["secret"]
    assert Appointment.objects.count() == 2
    # Each acted-for user still replays their own answer.
    again = book(with_token(token, act_as=members[1]), meeting_type, day)
    assert again.content == second.content
    assert Appointment.objects.count() == 2


def every_stored_value() -> list[bytes]:
    """Every column of every idempotency record, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {IdempotencyRecord._meta.db_table}")
        rows = cursor.fetchall()
    assert rows
    return [bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
            for row in rows for value in row]


@pytest.mark.django_db
def test_the_table_holds_no_secret_in_clear_and_the_replay_is_the_first_answer(owner, team, day):
    _, meeting_type = team
    client = client_for(owner)
    first = book(client, meeting_type, day)
    assert first.status_code == 201, first.json()
    answer = first.json()
    credential_secret = client.token.rsplit(":", 1)[-1]
    for value in every_stored_value():
        for secret in (answer["secret"], answer["appointmentId"], credential_secret):
            assert secret.encode() not in value
    again = book(client, meeting_type, day)
    assert (again.status_code, again.content) == (201, first.content)
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_a_sessions_answer_is_sealed_for_its_own_member_and_secret_key(owner, settings):
    answer = b'{"secret": "attendee-secret"}'
    mine = member_access(membership=owner)
    claimed = idempotency.claim(access=mine, key="k", digest="d")
    idempotency.settle(claimed, HttpResponse(answer, status=201,
                                             content_type="application/json"))
    assert b"attendee-secret" not in b"".join(every_stored_value())
    with pytest.raises(idempotency.Replay) as replay:
        idempotency.claim(access=mine, key="k", digest="d")
    assert replay.value.response.content == answer
    theirs = member_access(membership=make_member(owner))
    assert idempotency.claim(access=theirs, key="k", digest="d").record.pk != claimed.record.pk
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    with pytest.raises(Conflict):
        idempotency.claim(access=mine, key="k", digest="d")
