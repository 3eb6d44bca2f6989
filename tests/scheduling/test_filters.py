"""The lists' FilterSets (``scheduling/core/api/filters.py``): a bad parameter is a 400
in the documented body naming it, and the schema documents what they read."""

import pytest

from crm.filters import ContactFilterSet, MeetergoContactFilterSet
from scheduling.filters import (
    AppointmentFilterSet,
    CalendarConnectionFilterSet,
    HostedAppointmentFilterSet,
    MeetingTypeFilterSet,
)
from webhooks.filters import DeliveryFilterSet

pytestmark = pytest.mark.django_db

LISTS = [("/v4/appointment", AppointmentFilterSet),
         ("/v4/appointment/paginated", HostedAppointmentFilterSet),
         ("/v4/meeting-type", MeetingTypeFilterSet),
         ("/v4/calendar-connections", CalendarConnectionFilterSet),
         ("/v4/crm", ContactFilterSet), ("/crm", MeetergoContactFilterSet),
         ("/v4/webhooks/{id}/deliveries", DeliveryFilterSet)]


def fields(response) -> list[str]:
    assert response.status_code == 400, response.json()
    return [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize("name", ["hostId", "ownerId"])
def test_a_meeting_type_filter_that_is_no_uuid_is_a_400_naming_it(api, name):
    assert fields(api.get("/v4/meeting-type", {name: "nobody"})) == [name]


def test_every_bad_filter_is_named_at_once(api):
    query = {"start": "soon", "hostId": "nobody", "status": "maybe"}
    assert fields(api.get("/v4/appointment", query)) == ["start", "hostId", "status"]


def test_a_refused_value_is_quoted_as_sent_even_with_a_percent_sign(api):
    body = api.get("/v4/appointment", {"status": "%d"}).json()
    assert body["errors"] == [{"field": "status", "message": "Unknown status: %d; one of "
                               "pending_optin, pending_host, confirmed, cancelled, declined, "
                               "expired"}]
    assert api.get("/v4/crm", {"sortBy": "%s"}).json()["errors"] == [
        {"field": "sortBy", "message": '"%s" is not a valid choice.'}]


def test_a_filter_sent_empty_is_not_applied(api, owner):
    from tests.scheduling.conftest import make_meeting_type

    make_meeting_type(owner)
    assert len(api.get("/v4/meeting-type", {"hostId": ""}).json()) == 1


@pytest.mark.parametrize(("path", "filterset"), LISTS)
def test_the_schema_documents_each_filter_of_a_list(client, path, filterset):
    schema = client.get("/spec/v2/openapi.json").json()
    documented = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]
                  if p["in"] == "query"}
    for name, declared in filterset.base_filters.items():
        assert name in documented, name
        described = declared._spectacular_annotation["field"].get("description")
        assert documented[name].get("description") == described, name
