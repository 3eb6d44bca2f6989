"""Passwords the usual way: a new user's invitation sets a password, and "Forgot
your password?" on the admin's sign-in page sends a link that does the same."""

import io
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import call_command

from scheduling import invitations
from scheduling.models import User
from scheduling.tasks import send_invitation
from tests.conftest import client_for

PASSWORD = "Blue-Kettle-4417"
RESET = "/admin/password_reset/"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what the block queues for after commit, as a committed request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def invite(owner, run_on_commit, email="jane@acme.test", **headers):
    mail.outbox.clear()
    with run_on_commit():
        response = client_for(owner).post(
            "/v4/user", {"email": email, "givenName": "Jane"}, format="json", **headers)
    assert response.status_code == 201
    return only_to(email)


def only_to(address):
    found = [message for message in mail.outbox if address in message.to]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return found[0]


def ask_reset(client, run_on_commit, email: str, **extra):
    """Post the reset form; its email is queued once the request's work commits."""
    with run_on_commit():
        return client.post(RESET, {"email": email}, **extra)


def link_in(message) -> str:
    """The path of the set-password link in ``message``, which must be absolute on SITE_URL."""
    (path,) = re.findall(re.escape(settings.SITE_URL) + r"(/admin/reset/\S+/)", message.body)
    return path


def set_password(client, link: str, password: str = PASSWORD):
    form = client.get(link)
    assert form.status_code == 302  # Django keeps the token in the session, off the URL
    assert form.url.endswith("/set-password/")
    assert b"new_password1" in client.get(form.url).content
    return client.post(form.url, {"new_password1": password, "new_password2": password})


def signs_in(client, email: str, password: str = PASSWORD) -> bool:
    return client.login(email=email, password=password)


# --- the invitation -------------------------------------------------------------------------


def test_a_user_made_through_the_api_is_invited_and_signs_in_with_the_password_set(
        owner, run_on_commit, client):
    message = invite(owner, run_on_commit)
    assert message.subject == "You are invited to Acme on Termin"
    assert message.body.startswith("Hello Jane,")
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html" and "Set your password" in html
    assert not signs_in(client, "jane@acme.test")

    done = set_password(client, link_in(message))

    assert done.status_code == 302 and done.url == "/admin/reset/done/"
    assert admin.site.site_header.encode() in client.get(done.url).content  # the admin's look
    assert signs_in(client, "jane@acme.test")
    assert authenticate(email="jane@acme.test", password=PASSWORD).memberships.get().company \
        == owner.company


def test_the_invitation_speaks_the_language_of_the_request_that_made_the_user(
        owner, run_on_commit):
    message = invite(owner, run_on_commit, HTTP_ACCEPT_LANGUAGE="de")
    assert message.subject == "Einladung zu Acme bei Termin"
    assert message.body.startswith("Hallo Jane,")
    assert "Passwort festlegen" in message.body
    assert '<html lang="de">' in message.alternatives[0][0]


def test_the_invitation_link_works_once(owner, run_on_commit, client):
    link = link_in(invite(owner, run_on_commit))
    set_password(client, link)
    client.logout()

    again = client.get(link, follow=True)

    assert again.status_code == 200
    assert not again.context["validlink"]
    assert b"new_password1" not in again.content


def test_the_invitation_is_queued_only_when_the_user_is_committed(
        owner, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        client_for(owner).post("/v4/user", {"email": "jane@acme.test"}, format="json")
        assert mail.outbox == []
    assert callbacks  # run by the commit, which this test's transaction never makes
    assert mail.outbox == []


def test_a_user_who_has_a_password_by_then_is_not_invited(owner, member):
    member.user.set_password(PASSWORD)
    member.user.save(update_fields=["password"])
    mail.outbox.clear()
    assert not send_invitation(user_id=member.user.pk, company_id=owner.company.pk,
                               language="en")
    assert mail.outbox == []


def test_a_new_company_owner_is_invited(db, run_on_commit):
    with run_on_commit():
        call_command("create_company", "Initech", "--owner-email", "bill@initech.test",
                     stdout=io.StringIO())
    assert only_to("bill@initech.test").subject == "You are invited to Initech on Termin"


def test_the_demo_owner_has_a_password_and_no_invitation(db, run_on_commit):
    mail.outbox.clear()
    with run_on_commit():
        call_command("demo_data", stdout=io.StringIO())
    assert mail.outbox == []


# --- "Forgot your password?" ----------------------------------------------------------------


def test_the_sign_in_page_links_to_the_password_reset(client):
    page = client.get("/admin/login/")
    assert f'href="{RESET}"'.encode() in page.content


def test_forgot_password_sends_a_link_that_sets_a_password_which_signs_in(
        member, client, run_on_commit):
    mail.outbox.clear()
    form = client.get(RESET)
    assert form.status_code == 200 and admin.site.site_header.encode() in form.content

    sent = ask_reset(client, run_on_commit, member.user.email.upper())

    assert sent.status_code == 302 and sent.url == "/admin/password_reset/done/"
    message = only_to(member.user.email)
    assert message.subject == "Password reset on Termin"
    assert set_password(client, link_in(message)).url == "/admin/reset/done/"
    assert signs_in(client, member.user.email)


def test_the_reset_email_speaks_the_language_of_the_browser(member, client, run_on_commit):
    mail.outbox.clear()
    ask_reset(client, run_on_commit, member.user.email, HTTP_ACCEPT_LANGUAGE="de")
    assert only_to(member.user.email).subject == "Passwort auf Termin zurücksetzen"


def test_an_unknown_email_sends_nothing_and_gets_the_same_answer(member, client, run_on_commit):
    mail.outbox.clear()
    known = ask_reset(client, run_on_commit, member.user.email)
    unknown = ask_reset(client, run_on_commit, "nobody@acme.test")
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [message.to for message in mail.outbox] == [[member.user.email]]


def test_an_invited_user_who_lost_the_invitation_can_ask_for_a_new_link(
        member, client, run_on_commit):
    assert not member.user.has_usable_password()
    mail.outbox.clear()
    ask_reset(client, run_on_commit, member.user.email)
    set_password(client, link_in(only_to(member.user.email)))
    assert signs_in(client, member.user.email)


def test_a_deactivated_user_gets_no_reset_email(member, client, run_on_commit):
    User.objects.filter(pk=member.user.pk).update(is_active=False)
    mail.outbox.clear()
    ask_reset(client, run_on_commit, member.user.email)
    assert mail.outbox == []


def test_reset_requests_are_limited_per_client_address(member, client, run_on_commit):
    for _ in range(invitations.RESET_LIMIT):
        assert ask_reset(client, run_on_commit, "nobody@acme.test").status_code == 302
    mail.outbox.clear()

    refused = ask_reset(client, run_on_commit, member.user.email)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= invitations.RESET_WINDOW
    assert b"Too many password reset requests" in refused.content
    assert mail.outbox == []
    other = ask_reset(client, run_on_commit, member.user.email, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert only_to(member.user.email)
