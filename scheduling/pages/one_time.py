"""A one-time booking link's pages (``/1t/<token>``): the meeting type's month and
booking form, which books through the link once; afterwards, or once it has
expired, a friendly page says so."""

from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..models import OneTimeBookingLink
from ..selectors import meeting_type_hosts
from ..services import one_time_links
from .booking import form_page, month_page
from .common import limited_posts, link_spent


def _open_link(request, token: str):
    """``(link, None)`` for a link that still books; else ``(None, the page to show)``
    (an unknown token is the 404 page)."""
    link = (OneTimeBookingLink.objects
            .select_related("meeting_type__company", "meeting_type__queue",
                            "meeting_type__schedule", "meeting_type__owner")
            .filter(token=token).first())
    if link is None:
        raise Http404("No such one-time booking link")
    state = one_time_links.link_state(link)
    if state != one_time_links.ACTIVE:
        return None, link_spent(request, state)
    return link, None


def _host(meeting_type):
    """Whom the page names as the host: the owner, else its first host."""
    if meeting_type.owner is not None:
        return meeting_type.owner
    hosts = meeting_type_hosts(meeting_type)
    return hosts[0] if hosts else None


def one_time_page(request, token: str):
    link, refusal = _open_link(request, token)
    if refusal is not None:
        return refusal
    return month_page(request, _host(link.meeting_type), link.meeting_type,
                      base=reverse("pages:one-time", args=[token]),
                      book=reverse("pages:one-time-book", args=[token]))


@require_http_methods(["GET", "POST"])
@limited_posts
def one_time_book_page(request, token: str):
    link, refusal = _open_link(request, token)
    if refusal is not None:
        return refusal
    return form_page(request, _host(link.meeting_type), link.meeting_type,
                     back=reverse("pages:one-time", args=[token]), link=link)
