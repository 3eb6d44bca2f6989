"""Finding one object by the UUID a client names it by.

Clients name every object by its UUID (never the integer key). A value that is
not a UUID finds nothing, exactly like a UUID of another company's object: both
are the documented 404, so an answer never tells which of the two it was.
"""

import uuid

from django.db.models import Model, QuerySet

from .errors import NotFound


def parse_uuid(value) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def get_by_uuid(queryset: QuerySet, value, *, not_found: str, field: str = "uuid") -> Model:
    """The object of ``queryset`` whose ``field`` is the UUID ``value``; else
    ``NotFound(not_found)``."""
    key = parse_uuid(value)
    found = None if key is None else queryset.filter(**{field: key}).first()
    if found is None:
        raise NotFound(not_found)
    return found
