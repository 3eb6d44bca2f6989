"""Fixtures of the meetergo replays: clients as meetergo's examples send them."""

import pytest

from tests.conftest import client_for


@pytest.fixture
def as_owner(owner):
    """A platform key acting for the owner, as meetergo's examples send it."""
    return client_for(owner, act_as=owner)
