"""No input makes a 500: bodies over the size limit, pages and years far out of
range and over-long addresses are 4xx answers in the documented error body."""

import datetime as dt
import subprocess
import sys
from contextlib import contextmanager

import pytest
import requests
from django.core.exceptions import RequestDataTooBig

from scheduling.core.api.errors import exception_handler
from scheduling.core.api.pagination import MAX_PAGE
from tests.scheduling.conftest import make_meeting_type, monday_after
from tests.scheduling.test_api_errors import assert_error_body
from tests.scheduling.test_bookings import at, book, utc_host
from tests.support.processes import ROOT, child_env, free_port, stop, wait_for_http

pytestmark = pytest.mark.django_db

HUGE_PAGE = "279385750456887968"


@pytest.fixture
def meeting_type(owner):
    utc_host(owner)
    return make_meeting_type(owner, durations=[30, 60], default_duration=30)


@pytest.fixture
def unraised(api):
    """The API client answering server errors as responses, as a real client sees them."""
    api.raise_request_exception = False
    return api


# --- bodies over DATA_UPLOAD_MAX_MEMORY_SIZE ---------------------------------------


def test_a_body_over_the_limit_is_a_413(unraised, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"email": "' + "a" * 2000 + '@example.com"}'
    response = unraised.post("/v4/user", body, content_type="application/json")
    result = assert_error_body(response, 413, "Payload Too Large")
    assert "larger than the server accepts" in result["message"]


def test_a_body_just_under_the_limit_is_read(unraised, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = unraised.post("/v4/user", {"email": "new@acme.test"}, format="json")
    assert response.status_code == 201


def test_the_workspace_api_answers_a_large_body_in_its_own_shape(unraised, company, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = unraised.post(f"/api/workspaces/{company.pk}/contacts", "x" * 2000,
                             content_type="application/json")
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


def test_a_body_read_past_the_limit_inside_a_view_is_a_413_too():
    response = exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413
    assert response.data["error"] == "Payload Too Large"


# --- pages far out of range -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/v4/user", "/v4/appointment", "/v4/crm", "/v4/meeting-type"])
def test_a_huge_page_is_a_400(unraised, path):
    for limit in ("20", "100"):
        response = unraised.get(path, {"page": HUGE_PAGE, "limit": limit})
        body = assert_error_body(response, 400, "Bad Request")
        assert body["errors"][0]["field"] == "page"


def test_the_last_page_allowed_is_an_empty_page(unraised):
    body = unraised.get("/v4/user", {"page": MAX_PAGE, "limit": 100}).json()
    assert body["data"] == [] and body["page"] == MAX_PAGE


def test_a_huge_page_of_the_workspace_api_is_a_400(unraised, company):
    response = unraised.get(f"/api/workspaces/{company.pk}/contacts", {"page": HUGE_PAGE})
    assert response.status_code == 400
    assert "page" in response.json()["error"]


def test_the_schema_documents_the_highest_page(unraised):
    schema = unraised.get("/spec/v2/openapi.json").json()
    parameters = schema["paths"]["/v4/user"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["maximum"] == MAX_PAGE


# --- years far out of range -------------------------------------------------------------

FAR_STARTS = ["9999-06-01T10:00:00+00:00", "9999-12-31T22:00:00-05:00",
              "0001-01-01T00:10:00+01:00", "3000-01-01T09:00:00+00:00"]


@pytest.mark.parametrize("start", FAR_STARTS)
def test_a_booking_in_year_9999_is_a_400(unraised, meeting_type, start):
    body = assert_error_body(book(unraised, meeting_type, start), 400, "Bad Request")
    assert body["errors"][0]["field"] == "start"


@pytest.mark.parametrize("start, end", [
    ("9999-12-30", "9999-12-31"),
    ("9999-12-31T00:00:00+00:00", "9999-12-31T23:00:00+00:00"),
    ("9999-12-31T20:00:00-05:00", "9999-12-31T22:00:00-05:00"),
    ("0001-01-01", "0001-01-02"),
])
def test_slots_in_year_9999_are_a_400(unraised, meeting_type, start, end):
    response = unraised.get("/v4/booking-availability", {
        "meetingTypeId": str(meeting_type.uuid), "start": start, "end": end})
    assert_error_body(response, 400, "Bad Request")


@pytest.mark.parametrize("start", FAR_STARTS)
def test_moving_an_appointment_to_year_9999_is_a_400(unraised, meeting_type, start):
    appointment_id = book(unraised, meeting_type, at(monday_after(7), 9)).json()["id"]
    response = unraised.patch(f"/v4/appointment/{appointment_id}", {"start": start},
                              format="json")
    assert_error_body(response, 400, "Bad Request")


def test_a_booking_at_an_ordinary_time_still_works(unraised, meeting_type):
    assert book(unraised, meeting_type, at(monday_after(7), 9)).status_code == 201


def test_listing_appointments_from_year_1_is_a_400(unraised):
    response = unraised.get("/v4/appointment", {"start": "0001-01-01T00:00:00+01:00"})
    assert_error_body(response, 400, "Bad Request")


# --- over-long addresses ----------------------------------------------------------------


def test_an_over_long_address_under_v4_is_a_json_414(unraised, settings):
    response = unraised.get("/v4/user", {"searchTerm": "x" * settings.MAX_URL_LENGTH})
    body = assert_error_body(response, 414, "URI Too Long")
    assert "longer than the server accepts" in body["message"]


def test_an_address_at_the_limit_is_served(unraised, settings):
    room = settings.MAX_URL_LENGTH - len("/v4/user?q=")
    assert unraised.get("/v4/user?q=" + "x" * room).status_code == 200


def test_an_over_long_page_address_is_a_plain_414(client, settings):
    response = client.get("/somebody", {"tz": "x" * settings.MAX_URL_LENGTH})
    assert response.status_code == 414
    assert response["Content-Type"].startswith("text/plain")


@contextmanager
def gunicorn(*flags: str):
    """gunicorn serving Termin with the flags the quick start and docs/operations.md give it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--log-level", "warning", *flags],
        cwd=ROOT, env=child_env())
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/v4/user/me", proc=proc)
        yield base
    finally:
        stop(proc)


def quickstart_flags() -> list[str]:
    line = next(line for line in (ROOT / "bin/quickstart").read_text().splitlines()
                if "--limit-request-line" in line)
    words = line.split()
    at_flag = words.index("--limit-request-line")
    return words[at_flag: at_flag + 2]


def test_gunicorn_lets_termin_answer_an_over_long_line_in_json():
    flags = quickstart_flags()
    assert flags == ["--limit-request-line", "8190"]
    with gunicorn(*flags) as base:
        response = requests.get(f"{base}/v4/user?q={'x' * 6000}", timeout=10)
        assert response.status_code == 414
        assert response.json()["error"] == "URI Too Long"
        assert requests.get(f"{base}/v4/user?q=x", timeout=10).status_code == 401


def test_the_production_docs_run_gunicorn_with_the_same_flag():
    production = (ROOT / "docs/operations.md").read_text().split("\n## Production\n", 1)[1]
    assert "--limit-request-line 8190" in production


def test_time_bounds_leave_room_for_any_arithmetic():
    from scheduling.core.timeutils import EARLIEST, LATEST, within_range

    assert LATEST + dt.timedelta(days=400) < dt.datetime.max.replace(tzinfo=dt.UTC)
    assert within_range(dt.date(2999, 12, 31)) and not within_range(dt.date(3000, 1, 1))
    assert within_range(EARLIEST) and not within_range(EARLIEST - dt.timedelta(seconds=1))
