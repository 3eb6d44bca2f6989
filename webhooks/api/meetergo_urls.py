"""``/webhooks`` at the host root, in meetergo's shapes (included from config/urls.py
before the booking pages, whose ``/<slug>`` would otherwise take ``/webhooks``)."""

from rest_framework.routers import SimpleRouter

from .meetergo import MeetergoWebhookViewSet

router = SimpleRouter(trailing_slash=False)
router.register("webhooks", MeetergoWebhookViewSet, basename="meetergo-webhooks")

urlpatterns = router.urls
