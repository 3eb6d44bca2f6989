"""Base classes every ``/v4`` view derives from: the API conventions in one place."""

from rest_framework import generics, viewsets
from rest_framework.views import APIView

from ..lookups import get_by_uuid
from . import idempotency
from .filters import FilterSetsMixin
from .permissions import api_context
from .ratelimit import ratelimit_headers


class ApiConventionsMixin:
    """Adds ``Idempotency-Key`` handling and the rate-limit headers to a DRF view."""

    _idempotency_record = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, rate limit
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key is not None:
            digest = idempotency.request_digest(
                request.method, request.path, request._request.body
            )
            self._idempotency_record = idempotency.claim(
                access=api_context(request), key=key, digest=digest
            )

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None:
            idempotency.settle(self._idempotency_record, response)
            self._idempotency_record = None
        for name, value in ratelimit_headers(getattr(request, "ratelimit", None)).items():
            response[name] = value
        return response

    @property
    def ctx(self):
        """The ``ApiContext`` of the current request: company, acting member, key."""
        return api_context(self.request)


class ApiView(ApiConventionsMixin, APIView):
    pass


class ApiGenericView(ApiConventionsMixin, FilterSetsMixin, generics.GenericAPIView):
    pass


# A resource whose path names an object by its UUID: ``get_object`` finds it in
# ``get_queryset()`` by ``uuid_field`` and checks the object permissions, or answers
# the 404 ``not_found``. (A comment, not a docstring: drf-spectacular would print a
# docstring into every operation of the subclasses that have none of their own.)
class ApiViewSet(ApiConventionsMixin, FilterSetsMixin, viewsets.GenericViewSet):
    not_found = "Not found"
    uuid_field = "uuid"

    def get_object(self):
        found = get_by_uuid(self.get_queryset(), self.kwargs["pk"], not_found=self.not_found,
                            field=self.uuid_field)
        self.check_object_permissions(self.request, found)
        return found
