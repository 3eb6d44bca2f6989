"""Routes of this app's API (included from config/urls.py)."""

from rest_framework.routers import SimpleRouter

from .views import ContactViewSet

router = SimpleRouter(trailing_slash=False)
router.register("crm", ContactViewSet, basename="crm-contact")

urlpatterns = router.urls
