"""Schemathesis over every operation of the OpenAPI schema, through the WSGI app.

Each generated request acts as one of three callers: the owner's platform key or a
member's personal token of one company, or the owner's key of a second company.
Path parameters, ``...Id`` fields and the attendee secret often name objects that
exist, so requests get past "not found" into the views. Every request runs in a
savepoint of the test's transaction that is rolled back after it: each starts
from the same data, and nothing is queued (work runs after commit, never here).

The checks: no server error, no status the schema does not document, and content
types and bodies as the schema says. ``make fuzz`` runs the same test with many
more examples and every check, and writes its figures to ``FUZZ_REPORT``.
"""

import collections
import ipaddress
import json
import os
import socket

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.conftest import client_for, make_company, make_member
from tests.scheduling.test_bookings import at, utc_host

FUZZ = os.environ.get("FUZZ") == "1"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000" if FUZZ else "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
CALLERS = ("owner", "member", "stranger")


def _wsgi_app(environ, start_response):
    """The project's WSGI application, keeping the test's database connection open
    across requests (as Django's own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return application(environ, start_response)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/spec/v2/openapi.json", _wsgi_app)
figures = {"cases": 0, "statuses": collections.Counter(), "answers": collections.Counter(),
           "failures": collections.Counter(), "samples": {}}


def _loopback_only(resolve):
    """``socket.getaddrinfo`` for IP literals and localhost only: nothing leaves the
    machine, not even a name lookup."""

    def getaddrinfo(host, *args, **kwargs):
        try:
            ipaddress.ip_address(str(host))
        except ValueError:
            if host != "localhost":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return resolve(host, *args, **kwargs)

    return getaddrinfo


NO_LIMITS = {"API_RATE_LIMIT": 0, "AUTH_FAILURE_LIMIT": 0, "PUBLIC_RATE_LIMIT": 0,
             "PUBLIC_EMAIL_LIMIT": 0}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Two companies with a little of everything, and the three callers' headers.

    Made once for the module in a transaction rolled back at its end; every test
    runs in a savepoint inside it (pytest-django's ``db``)."""
    with (django_db_blocker.unblock(), override_settings(**NO_LIMITS),
          pytest.MonkeyPatch.context() as patch, transaction.atomic()):
        patch.setattr(socket, "getaddrinfo", _loopback_only(socket.getaddrinfo))
        yield _world()
        transaction.set_rollback(True)


def _world() -> dict:
    company, owner = make_company()
    member = make_member(owner)
    _, stranger = make_company(name="Globex", owner_email="owner@globex.test")
    clients = {"owner": client_for(owner), "member": client_for(member),
               "stranger": client_for(stranger)}
    ids = collections.defaultdict(list)
    ids["user"] += [str(owner.user.uuid), str(member.user.uuid), str(stranger.user.uuid)]
    ids["workspace"] += [company.pk, stranger.company.pk]
    secrets = _seed(clients["owner"], ids, hosts=[owner, member], day_offset=7)
    secrets += _seed(clients["stranger"], ids, hosts=[stranger], day_offset=14)
    ids["contact_pk"] += list(_contact_pks(company, stranger.company))
    ids["secret"] = secrets
    return {
        "headers": {name: {"Authorization": f"Bearer {c.token}"} for name, c in clients.items()},
        "ids": ids,
    }


def _seed(api: APIClient, ids, *, hosts, day_offset: int) -> list[str]:
    """Schedules, a meeting type, appointments, a contact, a webhook with a delivery,
    a room, a queue and a calendar feed, made through the API as a client would."""
    from tests.scheduling.conftest import monday_after

    for host in hosts:
        utc_host(host)

    def post(path, body, status=201):
        response = api.post(path, body, format="json")
        assert response.status_code == status, (path, response.json())
        return response.json()

    host_ids = [str(h.user.uuid) for h in hosts]
    meeting_type = post("/v4/meeting-type", {"title": "Intro call", "hostIds": host_ids})
    ids["meeting_type"].append(meeting_type["id"])
    day, secrets = monday_after(day_offset), []
    for hour in (9, 11):
        booked = post("/v4/booking", {
            "meetingTypeId": meeting_type["id"], "hostIds": host_ids[:1], "start": at(day, hour),
            "attendee": {"email": f"jane{hour}@client.test", "firstname": "Jane",
                         "lastname": "Smith", "receiveReminders": True, "notes": {}}})
        ids["appointment"].append(booked["appointmentId"])
        secrets.append(booked["secret"])
    api.delete(f"/v4/appointment/{ids['appointment'][-1]}")  # one cancelled
    ids["schedule"] += [s["id"] for s in api.get("/v4/availability").json()["data"]]
    contact = post("/v4/crm", {"firstName": "Alice", "email": "alice@example.com"})
    ids["contact"].append(contact["id"])
    webhook = post("/v4/webhooks", {"url": "https://93.184.215.14/hook"})
    ids["webhook"].append(webhook["id"])
    ids["delivery"].append(post(f"/v4/webhooks/{webhook['id']}/test", None, status=202)["id"])
    ids["room"].append(post("/v4/rooms", {"name": "Lobby"})["id"])
    ids["queue"].append(post("/v4/queue", {"name": "Sales", "memberIds": host_ids})["id"])
    feed = post("/v4/calendar-connections", {"url": "https://93.184.215.14/cal.ics"})
    ids["calendar_connection"].append(feed["id"])
    return secrets


def _contact_pks(*companies):
    from crm.models import Contact

    return Contact.objects.filter(company__in=companies).values_list("pk", flat=True)


# What a path segment names (the parameter after it), and what id fields name.
SEGMENTS = {
    "user": "user", "meeting-type": "meeting_type", "appointment": "appointment",
    "availability": "schedule", "crm": "contact", "attendee": "contact", "webhooks": "webhook",
    "deliveries": "delivery", "rooms": "room", "queue": "queue",
    "calendar-connections": "calendar_connection", "workspaces": "workspace",
    "contacts": "contact_pk",
}
FIELDS = {
    "hostId": "user", "hostIds": "user", "userId": "user", "ownerId": "user",
    "accountOwnerId": "user", "memberIds": "user", "reassignTo": "user",
    "meetingTypeId": "meeting_type", "scheduleId": "schedule", "queueId": "queue",
    "existingAppointmentId": "appointment", "appointmentId": "appointment",
    "contactId": "contact", "webhookId": "webhook",
}


def _resource_of_parameter(path: str, name: str) -> str | None:
    before = path.split("{" + name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    return SEGMENTS.get(before)


def _existing(data, world, resource: str | None, name: str, value):
    """Mostly an existing id of ``resource`` in place of the generated ``value``
    (kept when the draw says so: the simplest example names an existing object)."""
    pool = world["ids"].get(resource or "", [])
    if not pool or data.draw(st.integers(0, 3), label=f"keep {name}") == 3:
        return value
    chosen = data.draw(st.sampled_from(pool), label=name)
    return [chosen] if isinstance(value, list) else chosen


def _aim(case, data, world) -> None:
    """Point the case at existing objects (path, query, body ids, the secret), except
    in the parts schemathesis made invalid on purpose."""
    path = case.operation.path
    for name, value in (case.path_parameters or {}).items():
        if not _negative(case, ParameterLocation.PATH):
            resource = _resource_of_parameter(path, name)
            case.path_parameters[name] = _existing(data, world, resource, name, value)
    for name, value in (case.query or {}).items():
        if not _negative(case, ParameterLocation.QUERY):
            case.query[name] = _existing(data, world, FIELDS.get(name), name, value)
    if isinstance(case.body, dict) and not _negative(case, ParameterLocation.BODY):
        for name, value in case.body.items():
            if isinstance(value, str | list):
                case.body[name] = _existing(data, world, FIELDS.get(name), name, value)
    secret = "x-appointment-secret"
    if case.headers and secret in case.headers and not _negative(case, ParameterLocation.HEADER):
        case.headers[secret] = _existing(data, world, "secret", secret, case.headers[secret])


def _negative(case, location) -> bool:
    return case.meta is not None and case.meta.is_negative_at(location)


def _credentials(case, world, caller: str) -> dict:
    """The caller's key, unless the case leaves the key out or spoils it on purpose."""
    spoilt = _negative(case, ParameterLocation.HEADER) and "Authorization" in str(
        getattr(case.meta.phase.data, "description", None))
    return {} if spoilt else world["headers"][caller]


def _record(case, response, failure: FailureGroup | None) -> None:
    figures["cases"] += 1
    figures["statuses"][response.status_code] += 1
    figures["answers"][f"{case.operation.label} {response.status_code}"] += 1
    for item in failure.exceptions if failure else ():
        kind = f"{type(item).__name__}: {case.operation.label}"
        figures["failures"][kind] += 1
        sent = f"path={case.path_parameters} query={case.query} body={str(case.body)[:300]}"
        figures["samples"].setdefault(kind, f"{response.status_code} {sent}\n{str(item)[:600]}")


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not FUZZ, database=None,
          suppress_health_check=list(HealthCheck), print_blob=True)
def test_every_answer_is_documented(case, data, world, db):
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    _aim(case, data, world)
    headers = _credentials(case, world, caller)
    with transaction.atomic():
        response = case.call(headers=headers)
        try:
            # As call_and_validate passes them: checks that send probes reuse them.
            case.validate_response(response, checks=None if FUZZ else CHECKS, headers=headers,
                                   transport_kwargs={"headers": dict(headers)})
        except FailureGroup as failure:
            _record(case, response, failure)
            if not FUZZ:
                raise
        else:
            _record(case, response, None)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _figures():
    """Under ``make fuzz`` every failure is counted and the run goes on; an operation
    whose answers fail a check fails at the end of its test. The figures so far are
    written after each operation."""
    before = _wrong_answers()
    yield
    path = os.environ.get("FUZZ_REPORT")
    if path:
        report = {**figures, "statuses": dict(sorted(figures["statuses"].items())),
                  "answers": dict(sorted(figures["answers"].items())),
                  "failures": dict(figures["failures"].most_common())}
        with open(path, "w") as out:
            json.dump(report, out, indent=1, default=str)
    found = _wrong_answers() - before
    if FUZZ and found:
        pytest.fail(f"{found} failing cases; their kinds and samples are in the report")


# What the checks of valid input accepted and invalid input refused find: where the
# schema is less precise than the API's rules (a start in the past, an unknown id,
# an empty ?page= read as absent). Reported by make fuzz, not failures of an answer.
PRECISION = ("RejectedPositiveData", "AcceptedNegativeData")


def _wrong_answers() -> int:
    return sum(n for kind, n in figures["failures"].items() if not kind.startswith(PRECISION))


def test_the_callers_are_who_the_fuzzing_thinks(world, db):
    """The owner's key answers 200 where the member's personal token answers 403."""
    client = APIClient()
    headers = {k: {"HTTP_AUTHORIZATION": v["Authorization"]} for k, v in world["headers"].items()}
    assert client.get("/v4/webhooks", **headers["owner"]).status_code == 200
    assert client.get("/v4/webhooks", **headers["member"]).status_code == 403
    stranger = client.get(f"/v4/meeting-type/{world['ids']['meeting_type'][0]}",
                          **headers["stranger"])
    assert stranger.status_code == 404
