"""Routes of ``/v4``. Each resource module registers here."""

from rest_framework.routers import SimpleRouter

from .users import UserViewSet

router = SimpleRouter(trailing_slash=False)
router.register("user", UserViewSet, basename="user")

urlpatterns = router.urls
