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
