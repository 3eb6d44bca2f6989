"""Routes of this app's API (included from config/urls.py)."""

from rest_framework.routers import SimpleRouter

from .views import WebhookViewSet

router = SimpleRouter(trailing_slash=False)
router.register("webhooks", WebhookViewSet, basename="webhooks")

urlpatterns = router.urls
