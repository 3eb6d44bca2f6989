"""Routes of ``/v4``. Each resource module registers here."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .appointments import (
    AppointmentViewSet,
    PublicAppointmentCancelView,
    PublicAppointmentRescheduleView,
    PublicAppointmentView,
)
from .availability import AvailabilityViewSet, BookingAvailabilityView
from .bookings import BookingView
from .calendars import CalendarConnectionViewSet
from .meeting_types import MeetingTypeViewSet, QueueViewSet
from .one_time_links import OneTimeLinkCreateView
from .rooms import RoomViewSet
from .usage import UsageView
from .users import UserViewSet

router = SimpleRouter(trailing_slash=False)
router.register("user", UserViewSet, basename="user")
router.register("meeting-type", MeetingTypeViewSet, basename="meeting-type")
router.register("queue", QueueViewSet, basename="queue")
router.register("availability", AvailabilityViewSet, basename="availability")
router.register("appointment", AppointmentViewSet, basename="appointment")
router.register("rooms", RoomViewSet, basename="room")
router.register("calendar-connections", CalendarConnectionViewSet, basename="calendar-connection")

urlpatterns = [
    path("booking-availability", BookingAvailabilityView.as_view(), name="booking-availability"),
    path("booking", BookingView.as_view(), name="booking"),
    path("usage", UsageView.as_view(), name="usage"),
    path("one-time-booking-link/create/<str:meeting_type_id>", OneTimeLinkCreateView.as_view(),
         name="one-time-booking-link-create"),
    path("public/appointment/<str:pk>", PublicAppointmentView.as_view(),
         name="public-appointment"),
    path("public/appointment/<str:pk>/cancel", PublicAppointmentCancelView.as_view(),
         name="public-appointment-cancel"),
    path("public/appointment/<str:pk>/reschedule", PublicAppointmentRescheduleView.as_view(),
         name="public-appointment-reschedule"),
    *router.urls,
]
