"""The project's URLs plus views that fail, to show the 500 and 400 bodies."""

from django.urls import path

from config.urls import urlpatterns as project_urls
from crm.models import Contact
from scheduling.core.api.base import ApiView


class BoomView(ApiView):
    def get(self, request):
        raise RuntimeError("boom")


class UnstorableView(ApiView):
    """Sends ``name`` to the database unchecked."""

    def get(self, request):
        Contact.objects.filter(first_name=request.query_params["name"]).exists()


urlpatterns = [path("v4/test-boom", BoomView.as_view()),
               path("v4/test-unstorable", UnstorableView.as_view()), *project_urls]
handler404 = "config.urls.handler404"
handler500 = "config.urls.handler500"
