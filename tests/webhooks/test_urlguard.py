"""The SSRF guard's decision for every address form, without opening a connection."""

import socket

import pytest

from scheduling.core import urlguard
from scheduling.core.urlguard import UnsafeUrl

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.9.8.7:8080/",
    "http://localhost/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://0.0.0.0/",  # unspecified
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:7f00:1::1]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f.1/",  # hexadecimal, short form
    "http://0x7f000001/",
    "http://0177.0.0.1/",  # octal
    "http://127.1/",  # short form
    "https://127.0.0.1:8443/",
    "http://user:pass@127.0.0.1/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_it_refuses_addresses_off_the_public_internet(url):
    with pytest.raises(UnsafeUrl) as refused:
        urlguard.check_url(url, allow_private=False)
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url", ["ftp://93.184.216.34/", "file:///etc/passwd", "gopher://1.1.1.1/", "http:///nohost",
            "http://[::1/", "javascript:alert(1)"],
)
def test_it_refuses_what_is_not_an_http_url(url):
    with pytest.raises(UnsafeUrl, match="valid http or https URL"):
        urlguard.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "address"),
    [("http://93.184.216.34/hook", "93.184.216.34"),
     ("https://[2606:4700:4700::1111]:8443/", "2606:4700:4700::1111"),
     ("http://1.1.1.1/", "1.1.1.1")],
)
def test_it_accepts_public_addresses(url, address):
    assert [str(a) for a in urlguard.check_url(url, allow_private=False)] == [address]


def test_the_numeric_forms_are_judged_by_the_address_they_reach():
    for url in ("http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/"):
        assert [str(a) for a in urlguard.check_url(url, allow_private=True)] == ["127.0.0.1"]


def test_the_setting_allows_loopback_and_private_addresses():
    assert urlguard.check_url("http://127.0.0.1:9000/", allow_private=True)
    assert urlguard.check_url("http://10.1.2.3/", allow_private=True)


def test_it_follows_the_setting_by_default(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeUrl):
        urlguard.check_url("http://127.0.0.1/")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert urlguard.check_url("http://127.0.0.1/")


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if host == "mixed.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", resolver)
    with pytest.raises(UnsafeUrl, match="10.0.0.7"):
        urlguard.check_url("http://mixed.example.test/", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def resolver(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", resolver)
    with pytest.raises(UnsafeUrl, match="could not be resolved"):
        urlguard.check_url("http://no-such-host.invalid/", allow_private=True)
