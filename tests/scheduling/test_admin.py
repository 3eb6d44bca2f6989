"""The admin: every tenancy model listed; API keys created once and shown once."""

import re

import pytest
from rest_framework.test import APIClient

from scheduling.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["company", "user", "membership", "apikey"])
def test_each_model_has_a_working_list(staff_client, model):
    assert staff_client.get(f"/admin/scheduling/{model}/").status_code == 200
    assert staff_client.get(f"/admin/scheduling/{model}/?q=acme").status_code == 200


def test_a_key_created_in_the_admin_is_shown_once_and_works(staff_client, owner):
    response = staff_client.post(
        "/admin/scheduling/apikey/add/",
        {"name": "zapier", "kind": "platform", "company": owner.company_id,
         "created_by": owner.user_id, "days": 30},
        follow=True,
    )
    page = response.content.decode()
    token = re.search(r"ak_live:[0-9a-f-]{36}:[A-Za-z0-9_-]{32,}", page).group(0)
    api_key = ApiKey.objects.get(name="zapier")
    assert token.split(":")[2] not in api_key.secret_digest
    me = APIClient().get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    # Shown once: the key's own page does not carry the secret.
    detail = staff_client.get(f"/admin/scheduling/apikey/{api_key.pk}/change/").content.decode()
    assert token not in detail


def test_a_member_gets_a_personal_token_in_the_admin_never_a_platform_key(staff_client, member):
    form = {"name": "mine", "company": member.company_id, "created_by": member.user_id,
            "days": 30}
    refused = staff_client.post("/admin/scheduling/apikey/add/", {**form, "kind": "platform"})
    assert "Only owners and admins can create platform API keys" in refused.content.decode()
    assert not ApiKey.objects.filter(name="mine").exists()
    made = staff_client.post("/admin/scheduling/apikey/add/", {**form, "kind": "personal"},
                             follow=True).content.decode()
    token = re.search(r"rgo-[A-Za-z0-9_-]{32,}", made).group(0)
    me = APIClient().get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["userId"] == str(member.user.uuid)


def test_the_revoke_action_revokes(staff_client, owner):
    from scheduling.services.api_keys import api_key_create

    api_key, token = api_key_create(company=owner.company, created_by=owner.user)
    staff_client.post(
        "/admin/scheduling/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    response = APIClient().get("/v4/user/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
