import pytest

from .receiver import running_receiver


@pytest.fixture
def allow_private(settings):
    """Loopback receivers are allowed (the receiver of these tests is on 127.0.0.1)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    with running_receiver() as receiver:
        yield receiver
