"""Failed authentication is counted per client address and refused past a limit,
before the credential is checked, shared by every web process."""


import pytest
import requests
from django.test import override_settings
from rest_framework.test import APIClient

from scheduling import auththrottle
from scheduling.clientaddr import resolve_client_address
from scheduling.models import User
from tests.conftest import client_for
from tests.support.processes import free_port, web_server

WRONG_KEY = (
    "Bearer ak_live:00000000-0000-0000-0000-000000000000:wrongsecretwrongsecretwrongsecret12"
)
ME = "/v4/user/me"
LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _no_failures_left(settings):
    """The test Redis outlives a run: start and end with no failures counted."""
    settings.AUTH_FAILURE_LIMIT = 5
    settings.AUTH_FAILURE_WINDOW = 900
    settings.TRUSTED_PROXIES = []
    auththrottle.failures_forget()
    yield
    auththrottle.failures_forget()


def wrong(address: str, path: str = ME):
    return APIClient().get(path, HTTP_AUTHORIZATION=WRONG_KEY, REMOTE_ADDR=address)


def assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"statusCode", "message", "error"}
    assert (body["statusCode"], body["error"]) == (429, "Too Many Requests")
    assert "Too many failed authentication attempts" in body["message"]
    assert 1 <= int(response["Retry-After"]) <= 900


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_keys_from_one_address_end_in_429():
    assert [wrong("192.0.2.1").status_code for _ in range(5)] == [401] * 5
    assert_throttled(wrong("192.0.2.1"))


@pytest.mark.django_db
def test_a_blocked_address_is_refused_even_with_a_correct_key(owner):
    good = client_for(owner)
    assert good.get(ME, REMOTE_ADDR="192.0.2.2").status_code == 200
    for _ in range(5):
        wrong("192.0.2.2")
    assert_throttled(good.get(ME, REMOTE_ADDR="192.0.2.2"))


@pytest.mark.django_db
def test_another_address_is_not_affected(owner):
    for _ in range(6):
        wrong("192.0.2.3")
    assert wrong("192.0.2.4").status_code == 401
    assert client_for(owner).get(ME, REMOTE_ADDR="192.0.2.4").status_code == 200


@pytest.mark.django_db
def test_requests_without_credentials_do_not_count():
    anonymous = APIClient()
    assert {anonymous.get(ME, REMOTE_ADDR="192.0.2.5").status_code for _ in range(10)} == {401}
    assert [wrong("192.0.2.5").status_code for _ in range(5)] == [401] * 5


@pytest.mark.django_db
def test_successful_requests_do_not_count(owner):
    good = client_for(owner)
    assert {good.get(ME, REMOTE_ADDR="192.0.2.6").status_code for _ in range(10)} == {200}
    assert [wrong("192.0.2.6").status_code for _ in range(5)] == [401] * 5


@pytest.mark.django_db
def test_a_mistyped_key_or_two_never_stops_anyone(owner):
    good = client_for(owner)
    for _ in range(2):
        assert wrong("192.0.2.7").status_code == 401
    assert good.get(ME, REMOTE_ADDR="192.0.2.7").status_code == 200


@pytest.mark.django_db
def test_other_api_paths_count_too(owner):
    for path in ("/v4/crm", "/v4/webhooks", "/api/workspaces/1/contacts", ME, ME):
        assert wrong("192.0.2.8", path).status_code == 401
    assert_throttled(wrong("192.0.2.8", "/v4/crm"))
    workspace = wrong("192.0.2.8", f"/api/workspaces/{owner.company_id}/contacts")
    assert workspace.status_code == 429
    assert "Too many failed" in workspace.json()["error"]  # that API's own error shape


def test_the_address_is_allowed_again_when_the_window_ends():
    t0 = 1_000_000.0
    for i in range(5):
        auththrottle.failure_record("192.0.2.9", now=t0 + i)
    assert auththrottle.failure_wait("192.0.2.9", now=t0 + 4) == 896
    assert auththrottle.failure_wait("192.0.2.9", now=t0 + 899.5) == 1
    assert auththrottle.failure_wait("192.0.2.9", now=t0 + 900) == 0
    assert auththrottle.failure_record("192.0.2.9", now=t0 + 900) == 1  # a fresh window


@pytest.mark.django_db
def test_a_blocked_address_gets_through_when_its_window_ends(settings):
    # Explicit instants: a loaded machine must not decide where the window ends.
    settings.AUTH_FAILURE_WINDOW = 60
    t0 = 1_000_000.0
    for second in range(5):
        auththrottle.failure_record("192.0.2.10", now=t0 + second)
    assert auththrottle.failure_wait("192.0.2.10", now=t0 + 30) == 30
    assert auththrottle.failure_wait("192.0.2.10", now=t0 + 60) == 0


def test_a_blocked_address_is_refused_even_with_a_good_key(owner):
    for _ in range(5):
        wrong("192.0.2.12")
    assert client_for(owner).get(ME, REMOTE_ADDR="192.0.2.12").status_code == 429


def test_ipv6_clients_count_per_64():
    for i in range(5):
        auththrottle.failure_record(f"2001:db8:1:2::{i + 1}")
    assert auththrottle.failure_wait("2001:db8:1:2:ffff::9") > 0
    assert auththrottle.failure_wait("2001:db8:1:3::1") == 0


def test_zero_turns_the_limit_off(settings):
    settings.AUTH_FAILURE_LIMIT = 0
    for _ in range(20):
        auththrottle.failure_record("192.0.2.11")
    assert auththrottle.failure_wait("192.0.2.11") == 0


@pytest.mark.django_db
def test_an_unreachable_store_lets_attempts_through(caplog):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):  # nobody there
        assert [wrong("192.0.2.12").status_code for _ in range(7)] == [401] * 7
    assert "Auth failure store unreachable" in caplog.text


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return User.objects.create_user(email="staff@example.com", password="right-horse-42",
                                    is_staff=True, is_superuser=True)


def sign_in(client, password: str, address: str):
    data = {"username": "staff@example.com", "password": password, "next": "/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=address)


def test_wrong_passwords_end_in_a_429_page(client, staff):
    assert [sign_in(client, "wrong", "198.51.100.1").status_code for _ in range(5)] == [200] * 5
    response = sign_in(client, "right-horse-42", "198.51.100.1")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    assert response["Content-Type"].startswith("text/html")
    assert "Too many attempts" in response.content.decode()


def test_signing_in_after_a_few_mistakes_works(client, staff):
    for _ in range(4):
        assert sign_in(client, "wrong", "198.51.100.2").status_code == 200
    response = sign_in(client, "right-horse-42", "198.51.100.2")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_login_page_itself_stays_reachable_while_blocked(client, staff):
    for _ in range(5):
        sign_in(client, "wrong", "198.51.100.3")
    assert client.get(LOGIN, REMOTE_ADDR="198.51.100.3").status_code == 200
    assert sign_in(client, "wrong", "198.51.100.4").status_code == 200  # another address


def test_failed_sign_ins_and_api_failures_share_the_address_count(client, staff):
    for _ in range(3):
        sign_in(client, "wrong", "198.51.100.5")
    for _ in range(2):
        wrong("198.51.100.5")
    assert sign_in(client, "right-horse-42", "198.51.100.5").status_code == 429


# --- the client address -------------------------------------------------------------------------

PROXIES = ["10.0.0.0/8", "192.0.2.254"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        # Without trusted proxies the header is never read.
        ("203.0.113.7", "", [], "203.0.113.7"),
        ("203.0.113.7", "198.51.100.9", [], "203.0.113.7"),
        ("10.0.0.5", "198.51.100.9", [], "10.0.0.5"),
        # A peer that is not a trusted proxy: its header is spoofable and ignored.
        ("203.0.113.7", "198.51.100.9", PROXIES, "203.0.113.7"),
        ("203.0.113.7", "10.0.0.1", PROXIES, "203.0.113.7"),
        # A trusted proxy: the rightmost address it did not itself add.
        ("10.0.0.5", "198.51.100.9", PROXIES, "198.51.100.9"),
        ("192.0.2.254", "198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.0.0.5", "198.51.100.9, 10.1.2.3", PROXIES, "198.51.100.9"),
        ("10.0.0.5", "198.51.100.9,192.0.2.254,10.1.2.3", PROXIES, "198.51.100.9"),
        # What the client wrote itself (left of the first untrusted hop) is ignored.
        ("10.0.0.5", "1.1.1.1, 198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.0.0.5", "10.9.9.9, 198.51.100.9, 10.1.2.3", PROXIES, "198.51.100.9"),
        # Every hop trusted: the request came from the proxies' own network.
        ("10.0.0.5", "10.1.2.3", PROXIES, "10.1.2.3"),
        # A trusted proxy without a header, or with garbage: the proxy is the client.
        ("10.0.0.5", "", PROXIES, "10.0.0.5"),
        ("10.0.0.5", "unknown", PROXIES, "10.0.0.5"),
        ("10.0.0.5", "198.51.100.9, unknown", PROXIES, "10.0.0.5"),
        # Ports, brackets, IPv6, IPv4-mapped addresses, single addresses as proxies.
        ("10.0.0.5", "198.51.100.9:4711", PROXIES, "198.51.100.9"),
        ("10.0.0.5", "[2001:db8::1]:443", PROXIES, "2001:db8::1"),
        ("::1", "2001:DB8:0:0::1", ["::1"], "2001:db8::1"),
        ("::ffff:10.0.0.5", "198.51.100.9", PROXIES, "198.51.100.9"),
        ("::1", "198.51.100.9", ["127.0.0.1"], "::1"),
        ("127.0.0.1", "198.51.100.9", ["127.0.0.1", "::1"], "198.51.100.9"),
    ],
)
def test_the_client_address(remote, forwarded, trusted, client):
    assert resolve_client_address(remote, forwarded, trusted) == client


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for i in range(5):  # a new made-up address each time, from one real peer
        response = APIClient().get(ME, HTTP_AUTHORIZATION=WRONG_KEY, REMOTE_ADDR="203.0.113.20",
                                   HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        assert response.status_code == 401
    assert wrong("203.0.113.20").status_code == 429


@pytest.mark.django_db
def test_forwarded_for_from_a_trusted_proxy_names_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def through_proxy(client_address: str):
        return APIClient().get(ME, HTTP_AUTHORIZATION=WRONG_KEY, REMOTE_ADDR="10.0.0.5",
                               HTTP_X_FORWARDED_FOR=client_address)

    for _ in range(5):
        through_proxy("198.51.100.30")
    assert through_proxy("198.51.100.30").status_code == 429
    assert through_proxy("198.51.100.31").status_code == 401  # the proxy itself is not blocked


# --- across processes ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_count_failures_together(owner, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without it each process counts for itself")
    token = client_for(owner).token
    with (
        web_server(AUTH_FAILURE_LIMIT="6", API_RATE_LIMIT="0") as one,
        web_server(AUTH_FAILURE_LIMIT="6", API_RATE_LIMIT="0") as two,
        requests.Session() as session,
    ):
        bad, good = {"Authorization": WRONG_KEY}, {"Authorization": f"Bearer {token}"}
        assert session.get(f"{one}{ME}", headers=good).status_code == 200
        # Three failures each: neither process alone reaches six.
        statuses = [session.get(f"{(one, two)[i % 2]}{ME}", headers=bad).status_code
                    for i in range(6)]
        assert statuses == [401] * 6
        for base in (one, two):
            response = session.get(f"{base}{ME}", headers=good)
            assert response.status_code == 429
            assert response.json()["error"] == "Too Many Requests"
            assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/crm", "/webhooks"])
def test_wrong_keys_at_meetergo_s_root_paths_count_too(path):
    for _ in range(5):
        wrong("192.0.2.13", path=path)
    assert auththrottle.failure_wait("192.0.2.13") > 0
