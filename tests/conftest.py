"""Shared fixtures: a company with an owner, members of each role, API clients,
the admin signed in, and a clean slate in Redis for every test.

Test data is made through the services, as the API makes it (``make_company``,
``make_member``; ``tests/scheduling/conftest.py`` for schedules and meeting
types), so every row a test starts from has passed the rules the product enforces.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from config.celery import app as celery_app
from scheduling.choices import Role
from scheduling.models import ApiKeyKind, Membership
from scheduling.services.api_keys import api_key_create
from scheduling.services.tenancy import company_create, user_create
from tests import contract

# The suites that also run on SQLite, the embedded default every newcomer starts on
# (make test's second run): those through the code's PostgreSQL/SQLite branches
# (webhook delivery, the CRM timeline, bookings and their races, slots) and the demo
# data. The quick start's own tests always run it on the embedded default (SQLite
# and the file-system broker), so the first run has them. On SQLite only these are
# collected; ``-m sqlite`` picks them on PostgreSQL too.
ON_SQLITE_TOO = (
    "tests/webhooks/", "tests/crm/", "tests/meetergo/test_webhooks.py",
    "tests/meetergo/test_bookings.py", "tests/meetergo/test_contacts.py",
    "tests/scheduling/test_bookings.py", "tests/scheduling/test_booking_races.py",
    "tests/scheduling/test_api_slots.py", "tests/scheduling/test_booking_limits.py",
    "tests/scheduling/test_demo_data_scheduling.py", "tests/scheduling/test_sql.py",
)


def pytest_report_header(config):
    return f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})"


def _select_for_the_database(config, items) -> None:
    """Tests of ON_SQLITE_TOO are marked ``sqlite``; on SQLite the others are left
    out. A test marked ``postgresql(reason=...)`` needs what only PostgreSQL has: on
    SQLite it is skipped, saying why; on PostgreSQL it runs like any other."""
    on_sqlite = connection.vendor == "sqlite"
    kept, left_out = [], []
    for item in items:
        if item.nodeid.startswith(ON_SQLITE_TOO):
            item.add_marker(pytest.mark.sqlite)
        elif on_sqlite:
            left_out.append(item)
            continue
        kept.append(item)
        _skip_on_sqlite(item, on_sqlite)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def _skip_on_sqlite(item, on_sqlite: bool) -> None:
    marker = item.get_closest_marker("postgresql")
    if marker is None:
        return
    reason = marker.kwargs.get("reason")
    if not reason:
        raise pytest.UsageError(f"{item.nodeid}: the postgresql marker needs a reason=")
    if on_sqlite:
        item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {reason}"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite the test database is a file beside the configured one, not Django's
    in-memory default: servers and workers that a test starts open it too."""
    database = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        name = Path(database["NAME"])
        test_name = name.with_stem(f"{name.stem}-test")
        database.setdefault("TEST", {})["NAME"] = str(test_name)
        # A run that was killed may leave its write-ahead log beside the file, which
        # SQLite would apply to the new test database.
        for leftover in ("-wal", "-shm"):
            Path(f"{test_name}{leftover}").unlink(missing_ok=True)


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run in-process unless a test starts a real worker (tests/support)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True, scope="session")
def _answers_match_the_schema():
    """Every answer the test client (and DRF's APIClient, one of its kind) gets on an
    API path is held against the OpenAPI schema: a body it does not describe, or a
    status it does not document, fails the test that asked (tests/contract.py)."""
    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        method, path = response.request["REQUEST_METHOD"], response.request["PATH_INFO"]
        if method not in ("HEAD", "OPTIONS") and contract.is_api_path(path):
            problems = contract.check(method, path, response)
            assert not problems, problems
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", request)
        yield


def pytest_collection_modifyitems(session, config, items):
    """The tests for the database (``_select_for_the_database``); the test of which
    operations the suite exercised runs last, and knows whether the whole suite ran
    before it."""
    _select_for_the_database(config, items)
    last = [item for item in items if item.name == contract.COVERAGE_TEST]
    items[:] = [item for item in items if item.name != contract.COVERAGE_TEST] + last
    modules = {item.path for item in items}
    every = set(Path(__file__).parent.rglob("test_*.py"))
    contract.whole_suite = contract.whole_suite and every <= modules


def pytest_deselected(items):
    contract.whole_suite = False


def pytest_terminal_summary(terminalreporter):
    if contract.missing is not None:
        terminalreporter.write_sep("-", "documented operations the suite never answered with "
                                        f"success: {len(contract.missing)}")
        for line in contract.missing:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _no_auth_failures_left():
    """The suite sends many wrong keys from 127.0.0.1, and the test Redis outlives a
    run: each test starts with no failed authentication counted."""
    from scheduling import auththrottle

    auththrottle.failures_forget()


@pytest.fixture(autouse=True)
def _no_public_limits_spent():
    """Page tests all come from 127.0.0.1 and the test Redis outlives a run: each
    test starts, and leaves, with no anonymous request counted."""
    from scheduling import publiclimits

    publiclimits.limits_forget()
    yield
    publiclimits.limits_forget()


def make_company(name: str = "Acme", owner_email: str = "owner@acme.test", **kwargs):
    company, owner = company_create(
        name=name, owner_email=owner_email, owner_given_name="Olivia",
        owner_family_name="Owner", timezone=kwargs.pop("timezone", "Europe/Berlin"), **kwargs,
    )
    return company, Membership.objects.get(company=company, user=owner)


def make_member(owner: Membership, role: str = Role.MEMBER, email: str | None = None):
    count = Membership.objects.filter(company=owner.company).count()
    email = email or f"{role}{count}@{owner.company.slug}.test"
    return user_create(
        company=owner.company, actor=owner, email=email, given_name=role.title(),
        family_name=f"Person{count}", role=role,
    )


def client_for(membership: Membership, act_as: Membership | None = None,
               kind: str | None = None) -> APIClient:
    """An API client with a fresh credential made by ``membership``: a platform key
    for owners and admins, a personal access token for members (or ``kind``)."""
    kind = kind or (ApiKeyKind.PLATFORM if membership.has_role(Role.ADMIN)
                    else ApiKeyKind.PERSONAL)
    _, token = api_key_create(company=membership.company, created_by=membership.user, kind=kind)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    if act_as is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_MEETERGO_API_USER_ID=str(act_as.user.uuid)
        )
    client.token = token
    return client


@pytest.fixture
def company_owner(db):
    return make_company()


@pytest.fixture
def company(company_owner):
    return company_owner[0]


@pytest.fixture
def owner(company_owner):
    return company_owner[1]


@pytest.fixture
def admin_member(owner):
    return make_member(owner, Role.ADMIN)


@pytest.fixture
def member(owner):
    return make_member(owner, Role.MEMBER)


@pytest.fixture
def api(owner):
    """An API client acting as the company's owner."""
    return client_for(owner)


@pytest.fixture
def other_company(db):
    """A second company, to show no data crosses between companies."""
    return make_company(name="Globex", owner_email="owner@globex.test")


@pytest.fixture
def staff_client(client, owner):
    """Django's test client signed in to the admin as the company's owner, who is
    also an operator of the installation (staff and superuser)."""
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(owner.user)
    return client


@pytest.fixture
def allow_private(settings):
    """Outbound requests may reach 127.0.0.1 (the tests' receivers and servers),
    which the address guard refuses by default."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
