"""Schedule services: one default per user, whatever races."""

import threading

import pytest
from django.db import connection

from scheduling.models import AvailabilitySchedule
from scheduling.services.schedules import schedule_create
from tests.conftest import make_company


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_schedules_leave_exactly_one_default():
    company, owner = make_company(name="Race", owner_email="race@example.com")
    barrier = threading.Barrier(4)
    errors = []

    def create(n: int) -> None:
        try:
            barrier.wait()
            schedule_create(company=company, user=owner.user, name=f"S{n}", is_default=n % 2 == 0)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    schedules = AvailabilitySchedule.objects.filter(user=owner.user)
    assert schedules.count() == 4
    assert schedules.filter(is_default=True).count() == 1
