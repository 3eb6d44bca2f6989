"""Shared fixtures: a company with an owner, members of each role, API clients,
the admin signed in, and a clean slate in Redis for every test.

Test data is made through the services, as the API makes it (``make_company``,
``make_member``; ``tests/scheduling/conftest.py`` for schedules and meeting
types), so every row a test starts from has passed the rules the product enforces.
"""

from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config.celery import app as celery_app
from scheduling.choices import Role
from scheduling.models import ApiKeyKind, Membership
from scheduling.services.api_keys import api_key_create
from scheduling.services.tenancy import company_create, user_create
from tests import contract


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
    """The test of which operations the suite exercised runs last, and knows whether
    the whole suite ran before it."""
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
