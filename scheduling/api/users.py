"""``/v4/user``: the company's users.

``POST /v4/user`` provisions a user ready to be booked, as meetergo's pages have it
(developer-docs/core-concepts/users, api-reference/users/create-user): the user, a
default schedule and a meeting type they host, in one transaction."""


from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from ..choices import Role
from ..core.api.base import ApiViewSet
from ..core.api.fields import StrictSerializer, TimezoneField
from ..core.text import SingleLineField
from ..models import Membership
from ..payloads import PROVISIONED_USER, USER, provisioned_user_payload, user_payload
from ..services import tenancy
from .availability import InlineScheduleInput, schedule_service_kwargs
from .meeting_types import MeetingTypeInput, meeting_type_service_kwargs

# Both spellings of the names are accepted: the overview sends firstname/lastname,
# the code examples givenName/familyName.
NAME_ALIASES = {"firstname": "given_name", "givenName": "given_name",
                "lastname": "family_name", "familyName": "family_name"}


class ProvisionedMeetingTypeInput(MeetingTypeInput):
    """A new user's ``meetingType``: any meeting-type shape, hosted by the new user
    with the new user's default schedule ("30min Meeting", 30 minutes by default)."""

    title_required = False
    hostIds = None
    queueId = None
    scheduleId = None
    availabilityId = None
    availability = None


class UserInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    firstname = SingleLineField(max_length=150, required=False, allow_blank=True)
    lastname = SingleLineField(max_length=150, required=False, allow_blank=True)
    givenName = SingleLineField(max_length=150, required=False, allow_blank=True)
    familyName = SingleLineField(max_length=150, required=False, allow_blank=True)
    timezone = TimezoneField(required=False)
    slug = serializers.SlugField(max_length=80, required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    availability = InlineScheduleInput(
        required=False, help_text="Creating only: the new user's default schedule "
        "({name, timezone, schedule} in either of meetergo's shapes, or Termin's weekly); "
        "Monday to Friday 09:00-17:00 in the user's zone when not sent")
    meetingType = ProvisionedMeetingTypeInput(
        required=False, help_text="Creating only: the meeting type the new user hosts "
        "({name, duration, slug, channel}, or any meeting-type shape); \"30min Meeting\", "
        "30 minutes, when not sent")

    def validate(self, attrs):
        for first, second in (("givenName", "firstname"), ("familyName", "lastname")):
            if first in attrs and second in attrs and attrs[first] != attrs[second]:
                raise serializers.ValidationError(
                    {second: [f"{first} says otherwise: send one of them"]})
        if self.partial:
            sent = [name for name in ("availability", "meetingType") if name in attrs]
            if sent:
                raise serializers.ValidationError(
                    {name: ["Only when creating a user: change it at /v4/availability or "
                            "/v4/meeting-type"] for name in sent})
        return attrs

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        for alias, name in NAME_ALIASES.items():
            if alias in data:
                data[name] = data.pop(alias)
        if "email" in data:
            data["email"] = data["email"].lower()
        if "availability" in data:
            data["availability"] = schedule_service_kwargs(data["availability"])
        if "meetingType" in data:
            data["meeting_type"] = meeting_type_service_kwargs(data.pop("meetingType"))
        return data


class UserRemoveInput(serializers.Serializer):
    """What happens to the appointments a removed user hosts (body or query)."""

    reassignTo = serializers.UUIDField(
        required=False, help_text="Another user of the company who takes over each pending or "
        "upcoming appointment the removed user hosts (they must be free then)")
    cancelAppointments = serializers.BooleanField(
        required=False, default=False, help_text="Cancel those appointments instead, with the "
        "usual emails and webhooks")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field: removing a user takes reassignTo or cancelAppointments"]
                 for name in unknown})
        return attrs


def render(membership: Membership) -> dict:
    return user_payload(membership.user, membership.role)


@extend_schema(tags=["Users"])
class UserViewSet(ApiViewSet):
    serializer_class = UserInput
    queryset = Membership.objects.none()  # for the schema; get_queryset() scopes to the company
    not_found = "User not found"
    uuid_field = "user__uuid"
    required_roles = {"create": Role.ADMIN, "destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Membership.objects.filter(company=self.ctx.company)
            .select_related("user")
            .order_by("user__date_joined", "pk")
        )

    def owner_id(self, membership: Membership) -> int:
        return membership.user_id

    @extend_schema(responses={200: USER.schema()})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([render(m) for m in page])

    @extend_schema(
        request=UserInput, responses={201: PROVISIONED_USER.schema()},
        summary="Create a user ready to be booked",
        description="As meetergo provisions one: the user, their default schedule (the "
        "availability sent, else Monday to Friday 09:00-17:00 in their zone) and a meeting "
        "type they host (the meetingType sent, else \"30min Meeting\", 30 minutes), all or "
        "nothing. Answers {userId, availabilityId, meetingTypeId, bookingUrl, companyId} "
        "beside the user's fields; bookingUrl is the meeting type's page.")
    def create(self, request):
        data = self._validated(partial=False)
        provisioned = tenancy.user_provision(
            company=self.ctx.company, actor=self.ctx, **data
        )
        body = provisioned_user_payload(
            provisioned.membership, provisioned.schedule, provisioned.meeting_type)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: USER.schema()})
    def retrieve(self, request, pk=None):
        return Response(render(self.get_object()))

    @extend_schema(request=UserInput, responses={200: USER.schema()})
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = self._validated(partial=True)
        membership = tenancy.user_update(membership=membership, actor=self.ctx, **data)
        return Response(render(membership))

    @extend_schema(
        request=UserRemoveInput, responses={200: USER.schema()},
        parameters=[OpenApiParameter("reassignTo", str, required=False),
                    OpenApiParameter("cancelAppointments", bool, required=False)],
        summary="Remove a user; answers the user as it was. A user hosting pending or "
        "upcoming appointments needs reassignTo or cancelAppointments (else 409)")
    def destroy(self, request, pk=None):
        # 200 with a body rather than 204: clients written from the meetergo examples
        # parse every successful response as JSON.
        membership = self.get_object()
        body = render(membership)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError("Expected a JSON object: {\"reassignTo\"} or "
                                              "{\"cancelAppointments\": true}")
        options = UserRemoveInput(data={**request.query_params.dict(), **request.data})
        options.is_valid(raise_exception=True)
        reassign_to = options.validated_data.get("reassignTo")
        tenancy.user_remove(
            membership=membership, actor=self.ctx,
            reassign_to=str(reassign_to) if reassign_to else None,
            cancel_appointments=options.validated_data["cancelAppointments"])
        return Response(body)

    @extend_schema(responses={200: USER.schema()}, summary="The user this request acts for")
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(render(self.ctx.membership))

    def _validated(self, *, partial: bool) -> dict:
        serializer = UserInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.to_service_kwargs()
