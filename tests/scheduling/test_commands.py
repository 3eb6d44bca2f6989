"""Staff commands: create_company, create_api_key, demo_data."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from scheduling.models import Company, Membership

pytestmark = pytest.mark.django_db

KEY = re.compile(r"ak_live:[0-9a-f-]{36}:[A-Za-z0-9_-]{32,}")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_company_then_a_key_that_works():
    run("create_company", "Initech", "--owner-email", "bill@initech.test", "--slug", "initech")
    company = Company.objects.get(slug="initech")
    assert Membership.objects.get(company=company).role == "owner"
    token = KEY.search(run("create_api_key", "initech", "--days", "7")).group(0)
    client = APIClient()
    response = client.get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["email"] == "bill@initech.test"


def test_create_api_key_refuses_a_bad_expiry():
    from django.core.management.base import CommandError

    run("create_company", "Initech", "--owner-email", "bill@initech.test", "--slug", "initech")
    with pytest.raises(CommandError, match="between 1 and 90"):
        run("create_api_key", "initech", "--days", "91")


def test_demo_data_prints_a_fresh_working_key_on_every_run():
    first = KEY.search(run("demo_data")).group(0)
    second = KEY.search(run("demo_data")).group(0)
    assert first != second
    assert Company.objects.filter(slug="demo").count() == 1
    for token in (first, second):
        response = APIClient().get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
