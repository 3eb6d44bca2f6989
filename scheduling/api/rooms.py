"""``/v4/rooms``: a workspace's named meeting rooms and their join pages."""


from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..choices import Role
from ..core.api.base import ApiViewSet
from ..core.api.fields import StrictSerializer
from ..core.api.shapes import Instant, Integer, Shape, Text, Url, Uuid
from ..models import Room
from ..services import rooms


class RoomInput(StrictSerializer):
    name = serializers.CharField(max_length=100,
                                 help_text="Part of the join page's address (slugified)")
    displayName = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="What participants see; default: name")


ROOM = Shape("Room", {
    "id": Uuid("uuid"),
    "roomId": Integer("pk", "As contact timeline events carry it"),
    "name": Text("name"),
    "displayName": Text("display_name"),
    "joinUrl": Url(rooms.room_url),
    "createdAt": Instant("created_at"),
    "updatedAt": Instant("updated_at"),
})


@extend_schema(tags=["Rooms"])
class RoomViewSet(ApiViewSet):
    queryset = Room.objects.none()  # for the schema; requests use get_queryset()
    not_found = rooms.NOT_FOUND
    serializer_class = RoomInput
    required_roles = {"create": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (Room.objects.filter(company=self.ctx.company, appointment__isnull=True)
                .select_related("company").order_by("created_at", "pk"))

    @extend_schema(responses={200: ROOM.schema()})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([ROOM.build(room) for room in page])

    @extend_schema(request=RoomInput, responses={201: ROOM.schema()})
    def create(self, request):
        data = self._validated(partial=False)
        room = rooms.room_create(company=self.ctx.company, name=data["name"],
                                 display_name=data.get("displayName", ""))
        return Response(ROOM.build(room), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ROOM.schema()})
    def retrieve(self, request, pk=None):
        return Response(ROOM.build(self.get_object()))

    @extend_schema(request=RoomInput, responses={200: ROOM.schema()})
    def partial_update(self, request, pk=None):
        room = self.get_object()
        data = self._validated(partial=True)
        room = rooms.room_update(room=room, name=data.get("name"),
                                 display_name=data.get("displayName"))
        return Response(ROOM.build(room))

    @extend_schema(responses={200: ROOM.schema()},
                   summary="Delete a room; answers it as it was (timelines keep its names)")
    def destroy(self, request, pk=None):
        room = self.get_object()
        body = ROOM.build(room)
        rooms.room_delete(room=room)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = RoomInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
