"""Passwords the usual way: an invitation to set one, and "forgot your password".

A user made by ``services.tenancy`` (through the API, the admin or a command)
has no password. The service calls ``on_user_created`` inside its transaction;
once that commits, a Celery task sends the invitation in the language active
when the user was made (the API's ``Accept-Language``): a link to set a password.

Both emails link to Django's own password-reset views and tokens
(``config/urls.py``): ``default_token_generator`` hashes the user's password into
the token, so a link stops working once a password is set with it, and expires
after ``PASSWORD_RESET_TIMEOUT``. Whoever lets theirs expire asks for a new one
on the sign-in page, which is why the reset form here also serves people without
a usable password yet (Django's own skips them).

The reset form queues its email too instead of sending it in the request: an
answer that takes as long for an unknown address as for a known one reveals
nothing, and an SMTP hiccup is retried. Requests are limited per client address.
"""

import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import auththrottle
from .clientaddr import client_address
from .models import Company, User
from .notifications import language_of

logger = logging.getLogger(__name__)

# Reset requests per client address: a light limit, so nobody floods inboxes from one network.
RESET_LIMIT = 5
RESET_WINDOW = 3600  # seconds


def on_user_created(user: User, *, company: Company) -> None:
    """Queue ``user``'s invitation to ``company`` once the caller's transaction commits."""
    from .tasks import send_invitation

    kwargs = {"user_id": user.pk, "company_id": company.pk,
              "language": language_of(translation.get_language())}
    _on_commit(send_invitation, kwargs, f"the invitation of user {user.pk}")


def _on_commit(task, kwargs: dict, what: str) -> None:
    def enqueue() -> None:
        # What the caller made has committed; a broker outage must not turn it into an error.
        try:
            task.delay(**kwargs)
        except Exception:
            logger.exception("Could not queue %s", what)

    transaction.on_commit(enqueue)


def set_password_url(user: User) -> str:
    """An absolute link to Django's set-password page for ``user``, valid until
    a password is set with it or ``PASSWORD_RESET_TIMEOUT`` passes."""
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user)})
    return f"{settings.SITE_URL}{path}"


def invitation_send(*, user_id: int, company_id: int, language: str) -> bool:
    """Email the user a link to set their password; whether it was sent.

    Nothing is sent to a user who is gone, inactive or has a usable password by
    now (the demo's owner, or someone who used "forgot your password" first).
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    company = Company.objects.filter(pk=company_id).first()
    if user is None or company is None or user.has_usable_password():
        return False
    language = language_of(language)
    with translation.override(language):
        _invitation(user, company, language).send()
    return True


def _invitation(user: User, company: Company, language: str) -> EmailMultiAlternatives:
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    names = {"company": company.name, "email": user.email, "days": days}
    sign_in = f"{settings.SITE_URL}{reverse('admin:login')}"
    context = {
        "greeting": (_("Hello %(name)s,") % {"name": user.given_name} if user.given_name
                     else _("Hello,")),
        "intro": [
            _("%(company)s has added you to Termin, where you manage your appointments, "
              "availability and booking page.") % names,
            _("Choose your password with the button below, then sign in with your email "
              "address."),
            ngettext("The link works once, for %(days)s day. If it has expired, ask for a "
                     "new one on the sign-in page.",
                     "The link works once, for %(days)s days. If it has expired, ask for a "
                     "new one on the sign-in page.", days) % names,
        ],
        "details": [(_("Email"), user.email, ""), (_("Sign-in page"), sign_in, sign_in)],
        "actions": [(_("Set your password"), set_password_url(user))],
        "closing": _("Kind regards"), "company": company.name, "language": language,
    }
    email = EmailMultiAlternatives(
        subject=_("You are invited to %(company)s on Termin") % names,
        body=render_to_string("emails/invitation.txt", context), to=[user.email])
    email.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return email


# --- "Forgot your password?" ---------------------------------------------------------------


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, but its email is queued, and people invited who never set a
    password may ask for a link too."""

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())

    def save(self, **kwargs) -> None:
        from .tasks import send_password_reset

        language = language_of(translation.get_language())
        for user in self.get_users(self.cleaned_data["email"]):
            _on_commit(send_password_reset, {"user_id": user.pk, "language": language},
                       f"the password reset of user {user.pk}")


def password_reset_send(*, user_id: int, language: str) -> bool:
    """Send the user Django's password reset email, its link on ``SITE_URL``."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    site = urlsplit(settings.SITE_URL)
    context = {"email": user.email, "user": user, "site_name": "Termin",
               "protocol": site.scheme, "domain": site.netloc + site.path,
               "uid": urlsafe_base64_encode(force_bytes(user.pk)),
               "token": default_token_generator.make_token(user)}
    with translation.override(language_of(language)):
        subject = render_to_string("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.html", context)
    EmailMultiAlternatives(subject="".join(subject.splitlines()), body=body,
                           to=[user.email]).send()
    return True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per client address."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        # Every valid request counts, known address or not, so the limit reveals nothing.
        wait = auththrottle.attempt_wait(
            "password-reset", client_address(self.request), limit=RESET_LIMIT,
            window=RESET_WINDOW)
        if not wait:
            return super().form_valid(form)
        minutes = max(1, math.ceil(wait / 60))
        form.add_error("email", ngettext(
            "Too many password reset requests from your network. Please try again in "
            "%(minutes)s minute.",
            "Too many password reset requests from your network. Please try again in "
            "%(minutes)s minutes.", minutes) % {"minutes": minutes})
        response = self.form_invalid(form)
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response


def admin_look() -> dict:
    """The admin's header and title, for the password pages its sign-in page links to."""
    return {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
