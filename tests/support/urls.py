"""The project's URLs plus a view that fails, to show the 500 body."""

from django.urls import path

from config.urls import urlpatterns as project_urls
from scheduling.core.api.base import ApiView


class BoomView(ApiView):
    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [path("v4/test-boom", BoomView.as_view()), *project_urls]
handler404 = "config.urls.handler404"
handler500 = "config.urls.handler500"
