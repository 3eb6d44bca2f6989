"""Routes of ``/v4``. Each resource module registers here."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .availability import AvailabilityViewSet, BookingAvailabilityView
from .meeting_types import MeetingTypeViewSet, QueueViewSet
from .users import UserViewSet

router = SimpleRouter(trailing_slash=False)
router.register("user", UserViewSet, basename="user")
router.register("meeting-type", MeetingTypeViewSet, basename="meeting-type")
router.register("queue", QueueViewSet, basename="queue")
router.register("availability", AvailabilityViewSet, basename="availability")

urlpatterns = [
    path("booking-availability", BookingAvailabilityView.as_view(), name="booking-availability"),
    *router.urls,
]
