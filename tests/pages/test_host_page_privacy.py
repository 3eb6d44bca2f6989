"""The host page is public: it never shows a host's email, named or not."""

from scheduling.models import User


def test_a_named_host_page_shows_the_name_and_no_email(client, meeting_type):
    host = meeting_type.owner
    html = client.get(f"/{host.slug}").content.decode()
    assert host.full_name in html
    assert host.email not in html


def test_a_host_without_a_name_is_shown_by_their_slug_not_their_email(client, meeting_type):
    User.objects.filter(pk=meeting_type.owner.pk).update(given_name="", family_name="")
    host = User.objects.get(pk=meeting_type.owner.pk)
    response = client.get(f"/{host.slug}")
    assert response.status_code == 200
    html = response.content.decode()
    assert host.email not in html
    assert host.email.split("@")[0] + "@" not in html
    assert f"<h1>{host.slug}</h1>" in html


def test_no_public_page_shows_a_nameless_host_s_email(client, meeting_type):
    from tests.pages.conftest import berlin, book, manage_path, next_weekday

    User.objects.filter(pk=meeting_type.owner.pk).update(given_name="", family_name="")
    host = User.objects.get(pk=meeting_type.owner.pk)
    appointment = book(meeting_type, berlin(next_weekday(), 10))
    pages = [f"/{host.slug}/{meeting_type.slug}", f"/{host.slug}/{meeting_type.slug}/book",
             manage_path(appointment), manage_path(appointment) + "/booked"]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert host.email not in response.content.decode(), path


def test_the_booker_s_own_download_carries_their_manage_link(client, meeting_type):
    from scheduling import links
    from tests.pages.conftest import berlin, book, manage_path, next_weekday

    appointment = book(meeting_type, berlin(next_weekday(), 10))
    ics = client.get(manage_path(appointment) + "/invite.ics").content.decode()
    token = links.manage_url(appointment).rsplit("/", 1)[1]
    assert token[:20] in ics.replace("\r\n ", "")
