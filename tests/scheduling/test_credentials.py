"""Two kinds of credentials, and rights never above the maker's (SPEC section 3).

The matrix: every kind of credential x the maker's role x the acted-for user's
role x an action needing a member or an admin. A credential's rights are the
acted-for user's role capped at its maker's current role; a personal token acts
only as its maker.
"""

import itertools
import uuid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from scheduling.choices import ROLE_RANK, Role
from scheduling.core.errors import Forbidden
from scheduling.models import ApiKey, ApiKeyKind, Membership
from scheduling.services.api_keys import api_key_create
from scheduling.services.tenancy import user_update
from tests.conftest import make_member
from tests.scheduling.conftest import make_schedule

pytestmark = pytest.mark.django_db

PLATFORM, PERSONAL = ApiKeyKind.PLATFORM, ApiKeyKind.PERSONAL
ROLES = (Role.OWNER, Role.ADMIN, Role.MEMBER)


@pytest.fixture
def people(owner):
    """Two people of each role, so anyone can act for someone else of any role."""
    team = {Role.OWNER: [owner, make_member(owner, Role.OWNER)]}
    for role in (Role.ADMIN, Role.MEMBER):
        team[role] = [make_member(owner, role), make_member(owner, role)]
    return team


def client_with(token: str, act_as: Membership | None = None) -> APIClient:
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if act_as is not None:
        headers["HTTP_X_MEETERGO_API_USER_ID"] = str(act_as.user.uuid)
    client.credentials(**headers)
    return client


def someone(people, role: str, besides: Membership) -> Membership:
    return next(m for m in people[role] if m.pk != besides.pk)


def lowest(*roles: str) -> str:
    return min(roles, key=lambda role: ROLE_RANK[Role(role)])


# Each action: (what it needs, how to try it). ``bystander`` is a member nobody acts as.
ACTIONS = {
    "read": (Role.MEMBER, lambda c, bystander: c.get("/v4/meeting-type")),
    "write another's schedule": (Role.ADMIN, lambda c, bystander: c.patch(
        f"/v4/availability/{make_schedule(bystander).uuid}", {"name": "Renamed"},
        format="json")),
    "user admin": (Role.ADMIN, lambda c, bystander: c.post(
        "/v4/user", {"email": f"{uuid.uuid4().hex[:8]}@acme.test"}, format="json")),
    "webhooks": (Role.ADMIN, lambda c, bystander: c.get("/v4/webhooks")),
}


@pytest.mark.parametrize(
    ("kind", "maker_role", "acted_role", "action"),
    [(kind, maker, acted, action)
     for kind, maker, acted, action in itertools.product(
         (PLATFORM, PERSONAL), ROLES, (*ROLES, "self"), ACTIONS)
     if not (kind == PLATFORM and maker == Role.MEMBER)],
)
def test_rights_are_the_acted_for_role_capped_at_the_makers(people, kind, maker_role,
                                                             acted_role, action):
    maker = people[maker_role][0]
    acted = maker if acted_role == "self" else someone(people, acted_role, besides=maker)
    _, token = api_key_create(company=maker.company, created_by=maker.user, kind=kind)
    needed, attempt = ACTIONS[action]
    bystander = make_member(people[Role.OWNER][0])

    response = attempt(client_with(token, act_as=acted), bystander)

    if kind == PERSONAL and acted != maker:
        assert response.status_code == 403
        assert "personal access token acts only as the user who created it" in (
            response.json()["message"])
        return
    effective = lowest(maker_role, acted.role)
    allowed = ROLE_RANK[Role(effective)] >= ROLE_RANK[Role(needed)]
    assert response.status_code in ((200, 201) if allowed else (403,)), response.json()


def test_a_member_cannot_make_a_platform_key(member):
    with pytest.raises(Forbidden):
        api_key_create(company=member.company, created_by=member.user, kind=PLATFORM)


def test_a_personal_token_reads_rgo_and_acts_as_its_maker(member):
    _, token = api_key_create(company=member.company, created_by=member.user, kind=PERSONAL)
    assert token.startswith("rgo-") and len(token) > 40
    body = client_with(token).get("/v4/user/me").json()
    assert body["userId"] == str(member.user.uuid)
    # Naming itself is allowed.
    assert client_with(token, act_as=member).get("/v4/user/me").status_code == 200


def test_a_personal_token_is_stored_as_a_digest_only(member):
    api_key, token = api_key_create(company=member.company, created_by=member.user,
                                    kind=PERSONAL)
    stored = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert token.removeprefix("rgo-") not in str(stored)


def test_an_unknown_personal_token_is_401():
    response = client_with("rgo-" + "x" * 43).get("/v4/user/me")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API key"


def test_a_member_naming_the_owner_is_refused_and_cannot_promote_themselves(owner, member):
    _, token = api_key_create(company=member.company, created_by=member.user, kind=PERSONAL)
    assert client_with(token, act_as=owner).get("/v4/user/me").status_code == 403
    response = client_with(token).patch(f"/v4/user/{member.user.uuid}", {"role": "owner"},
                                        format="json")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_an_admin_key_acting_for_an_owner_has_admin_rights_only(owner, admin_member):
    _, token = api_key_create(company=owner.company, created_by=admin_member.user)
    as_owner = client_with(token, act_as=owner)
    assert as_owner.get("/v4/user/me").json()["role"] == "owner"  # who they act for
    demote = as_owner.patch(f"/v4/user/{owner.user.uuid}", {"role": "member"}, format="json")
    assert demote.status_code == 403
    retarget = as_owner.patch(f"/v4/user/{owner.user.uuid}", {"email": "mine@evil.test"},
                              format="json")
    assert retarget.status_code == 403
    owner.refresh_from_db()
    assert (owner.role, owner.user.email) == (Role.OWNER, "owner@acme.test")


@pytest.mark.parametrize("kind", [PLATFORM, PERSONAL])
def test_a_demoted_maker_s_platform_key_stops_and_a_personal_token_follows_the_new_role(
        owner, admin_member, member, kind):
    _, token = api_key_create(company=owner.company, created_by=admin_member.user, kind=kind)
    assert client_with(token).get("/v4/webhooks").status_code == 200
    user_update(membership=admin_member, actor=owner, role=Role.MEMBER)

    response = client_with(token, act_as=member if kind == PLATFORM else None).get("/v4/webhooks")

    if kind == PLATFORM:
        assert response.status_code == 401
        assert "no longer an owner or admin" in response.json()["message"]
    else:
        assert response.status_code == 403  # the token works, with a member's rights


@pytest.mark.parametrize("kind", [PLATFORM, PERSONAL])
def test_a_removed_maker_s_credential_stops_even_naming_another_user(owner, admin_member,
                                                                      member, kind):
    _, token = api_key_create(company=owner.company, created_by=admin_member.user, kind=kind)
    # The key row would go with the membership; the check must not depend on that.
    Membership.objects.filter(pk=admin_member.pk).delete()
    act_as = member if kind == PLATFORM else None
    response = client_with(token, act_as=act_as).get("/v4/user/me")
    assert response.status_code == 401
    assert "no longer a member" in response.json()["message"]


@pytest.mark.parametrize("kind", [PLATFORM, PERSONAL])
def test_a_deactivated_maker_s_credential_stops(owner, admin_member, member, kind):
    _, token = api_key_create(company=owner.company, created_by=admin_member.user, kind=kind)
    admin_member.user.is_active = False
    admin_member.user.save(update_fields=["is_active"])
    act_as = member if kind == PLATFORM else None
    response = client_with(token, act_as=act_as).get("/v4/user/me")
    assert response.status_code == 401
    assert "deactivated" in response.json()["message"]


def test_removing_a_maker_through_the_api_deletes_their_keys(api, owner, admin_member):
    _, token = api_key_create(company=owner.company, created_by=admin_member.user)
    assert api.delete(f"/v4/user/{admin_member.user.uuid}").status_code == 200
    assert client_with(token).get("/v4/user/me").status_code == 401


def test_create_api_key_gives_a_member_a_personal_token(owner, member, capsys):
    call_command("create_api_key", owner.company.slug, "--user", member.user.email)
    assert capsys.readouterr().out.strip().startswith("rgo-")
    call_command("create_api_key", owner.company.slug)
    assert capsys.readouterr().out.strip().startswith("ak_live:")
    call_command("create_api_key", owner.company.slug, "--personal")
    assert capsys.readouterr().out.strip().startswith("rgo-")


def test_a_personal_token_may_name_its_maker_in_any_spelling(member):
    _, token = api_key_create(company=member.company, created_by=member.user, kind=PERSONAL)
    upper = str(member.user.uuid).upper()
    response = client_with(token).get("/v4/user/me", HTTP_X_MEETERGO_API_USER_ID=upper)
    assert response.status_code == 200


def test_a_platform_key_acting_for_a_deactivated_user_is_refused(owner, member):
    member.user.is_active = False
    member.user.save(update_fields=["is_active"])
    _, token = api_key_create(company=owner.company, created_by=owner.user)
    assert client_with(token, act_as=member).get("/v4/user/me").status_code == 403
