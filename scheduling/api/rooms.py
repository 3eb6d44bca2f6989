"""``/v4/rooms``: a workspace's named meeting rooms and their join pages."""

import uuid

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from ..choices import Role
from ..errors import NotFound
from ..models import Room
from ..services import rooms
from ..timeutils import iso
from .base import ApiViewSet


class RoomInput(serializers.Serializer):
    name = serializers.CharField(max_length=100,
                                 help_text="Part of the join page's address (slugified)")
    displayName = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="What participants see; default: name")


RoomOutput = inline_serializer("Room", {
    "id": serializers.UUIDField(),
    "roomId": serializers.IntegerField(help_text="As contact timeline events carry it"),
    "name": serializers.CharField(),
    "displayName": serializers.CharField(),
    "joinUrl": serializers.URLField(),
    "createdAt": serializers.DateTimeField(),
    "updatedAt": serializers.DateTimeField(),
})


def room_payload(room: Room) -> dict:
    return {
        "id": str(room.uuid),
        "roomId": room.pk,
        "name": room.name,
        "displayName": room.display_name,
        "joinUrl": rooms.room_url(room),
        "createdAt": iso(room.created_at),
        "updatedAt": iso(room.updated_at),
    }


@extend_schema(tags=["Rooms"])
class RoomViewSet(ApiViewSet):
    queryset = Room.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = RoomInput
    required_roles = {"create": Role.ADMIN, "partial_update": Role.ADMIN, "destroy": Role.ADMIN}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (Room.objects.filter(company=self.ctx.company, appointment__isnull=True)
                .select_related("company").order_by("created_at", "pk"))

    def get_object(self) -> Room:
        try:
            key = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            key = None
        found = self.get_queryset().filter(uuid=key).first() if key else None
        if found is None:
            raise NotFound(rooms.NOT_FOUND)
        self.check_object_permissions(self.request, found)
        return found

    @extend_schema(responses={200: RoomOutput})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([room_payload(room) for room in page])

    @extend_schema(request=RoomInput, responses={201: RoomOutput})
    def create(self, request):
        data = self._validated(partial=False)
        room = rooms.room_create(company=self.ctx.company, name=data["name"],
                                 display_name=data.get("displayName", ""))
        return Response(room_payload(room), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RoomOutput})
    def retrieve(self, request, pk=None):
        return Response(room_payload(self.get_object()))

    @extend_schema(request=RoomInput, responses={200: RoomOutput})
    def partial_update(self, request, pk=None):
        room = self.get_object()
        data = self._validated(partial=True)
        room = rooms.room_update(room=room, name=data.get("name"),
                                 display_name=data.get("displayName"))
        return Response(room_payload(room))

    @extend_schema(responses={200: RoomOutput},
                   summary="Delete a room; answers it as it was (timelines keep its names)")
    def destroy(self, request, pk=None):
        room = self.get_object()
        body = room_payload(room)
        rooms.room_delete(room=room)
        return Response(body)

    def _validated(self, *, partial: bool) -> dict:
        serializer = RoomInput(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
