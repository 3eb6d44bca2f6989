"""``/crm`` at the host root, in meetergo's shapes (included from config/urls.py
before the booking pages, whose ``/<slug>`` would otherwise take ``/crm``)."""

from rest_framework.routers import SimpleRouter

from .meetergo import MeetergoContactViewSet

router = SimpleRouter(trailing_slash=False)
router.register("crm", MeetergoContactViewSet, basename="meetergo-crm")

urlpatterns = router.urls
