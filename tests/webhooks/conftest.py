import pytest

from .receiver import running_receiver


@pytest.fixture
def receiver():
    with running_receiver() as receiver:
        yield receiver
