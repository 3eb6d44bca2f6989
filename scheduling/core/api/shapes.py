"""Answer shapes, each declared once: the answer is built from the declaration and
its OpenAPI schema derived from it, so the two cannot drift apart (STYLE 11).

A ``Shape`` names a JSON object's keys in order; each key is a ``Field`` that says
what its value is (for the schema: text, a UUID, an instant, another shape, ...)
and where it comes from (for the answer). ``shape.build(obj)`` makes the answer,
``shape.schema()`` is what ``extend_schema`` documents (a DRF serializer that
drf-spectacular reads, used for nothing else), as a component of ``shape.name``.

Why not DRF serializers for the answers themselves: rendering through one costs
about six times a plain dict (26 us against 4.4 us for a contact; 290 us with a
fresh serializer, as ``Serializer(obj).data`` makes), and appointments are rendered
inside every booking (its webhook event) and by the page. A shape costs about 1.7
times the plain dict.
"""

import functools
from operator import attrgetter, itemgetter

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ..timeutils import iso

OMIT = object()  # a getter's answer for "leave this key out" (fields with required=False)


def itself(obj):
    """The source of a nested shape that reads the same object as its parent."""
    return obj


def key(name: str):
    """A source reading ``obj[name]`` (for objects that are dicts already)."""
    return itemgetter(name)


def _reader(path: str):
    """``obj.a.b`` for the path ``"a.b"``; None wherever a step along it is None."""
    if "." not in path:
        return attrgetter(path)
    steps = path.split(".")

    def read(obj):
        for step in steps:
            obj = getattr(obj, step)
            if obj is None:
                return None
        return obj

    return read


class Field:
    """One key of a shape.

    ``source`` is an attribute path of the object (``"owner.uuid"``), whose value
    this field converts as its kind does (a UUID to text, an instant to ISO 8601
    with an offset; None stays None), or a callable of the object that returns the
    value exactly as the answer carries it. ``null`` documents that the value may
    be null; ``required=False`` that the key may be missing (the callable returns
    ``OMIT``)."""

    schema_class: type = serializers.JSONField

    def __init__(self, source, help_text: str = "", *, null: bool = False,
                 required: bool = True, **schema):
        self.source, self.help_text, self.null, self.required = source, help_text, null, required
        self.schema_options = schema

    def convert(self, value):
        return value

    def getter(self):
        if callable(self.source):
            return self.source
        read, convert = _reader(self.source), self.convert
        if type(self).convert is Field.convert:
            return read
        return lambda obj: None if (value := read(obj)) is None else convert(value)

    def schema_field(self) -> serializers.Field:
        """A fresh DRF field for the schema (a field belongs to one serializer)."""
        return self.schema_class(**self.schema_options, **self.options())

    def options(self) -> dict:
        options = {"help_text": self.help_text} if self.help_text else {}
        if self.null:
            options["allow_null"] = True
        if not self.required:
            options["required"] = False
        return options


class Text(Field):
    schema_class = serializers.CharField


class Email(Field):
    schema_class = serializers.EmailField


class Url(Field):
    schema_class = serializers.URLField


class Integer(Field):
    schema_class = serializers.IntegerField


class Boolean(Field):
    schema_class = serializers.BooleanField


class Mapping(Field):
    """A JSON object of any keys."""

    schema_class = serializers.DictField


class Json(Field):
    """Any JSON value."""


class Uuid(Field):
    schema_class = serializers.UUIDField

    def convert(self, value):
        return str(value)


class Instant(Field):
    """ISO 8601 with a numeric offset, in UTC (a callable source gives another zone)."""

    schema_class = serializers.DateTimeField

    def convert(self, value):
        return iso(value)


class Day(Field):
    schema_class = serializers.DateField


class Choice(Field):
    def __init__(self, choices, source, help_text: str = "", **kwargs):
        super().__init__(source, help_text, choices=choices, **kwargs)

    schema_class = serializers.ChoiceField


class ListOf(Field):
    """A list of plain values, each of the kind of ``item`` (a Field class)."""

    def __init__(self, item: type[Field], source, help_text: str = "", **kwargs):
        super().__init__(source, help_text, **kwargs)
        self.item = item

    def getter(self):
        if callable(self.source):
            return self.source
        read, item = _reader(self.source), self.item(None)
        if type(item).convert is Field.convert:
            return lambda obj: list(read(obj))
        return lambda obj: [item.convert(value) for value in read(obj)]

    def schema_field(self):
        return serializers.ListField(child=self.item(None).schema_field(), **self.options())


class One(Field):
    """Another shape, built from the object the source gives (attribute path or
    callable); None stays None. ``built=True``: the source gives it built already,
    under the shape's keys (where the same answer appears twice, or a loop's speed
    matters more than a call per item)."""

    def __init__(self, shape: "Shape", source, help_text: str = "", *, built: bool = False,
                 **kwargs):
        super().__init__(source, help_text, **kwargs)
        self.shape, self.built = shape, built

    def getter(self):
        read = self.source if callable(self.source) else _reader(self.source)
        if self.built:
            return read
        build = self.shape.build
        return lambda obj: None if (value := read(obj)) is None else build(value)

    def schema_field(self):
        return self.shape.schema(**self.options())


class Many(One):
    """A list of another shape, built from each object the source gives (an
    attribute path or a callable returning an iterable); ``built`` as for ``One``."""

    def getter(self):
        read = self.source if callable(self.source) else _reader(self.source)
        if self.built:
            return read
        build = self.shape.build
        return lambda obj: [build(value) for value in read(obj)]

    def schema_field(self):
        return self.shape.schema(many=True, **self.options())


class Shape:
    """A JSON object's keys in order, each a ``Field``; ``prepare``, when given,
    turns ``build``'s arguments into the object the fields read. ``description``
    documents the shape; ``envelope=True`` marks an answer that holds a list itself,
    which the schema must not wrap in another even where a view lists things."""

    def __init__(self, name: str, fields: dict[str, Field], *, prepare=None,
                 description: str = "", envelope: bool = False,
                 schema_of: "Shape | None" = None):
        self.name, self.fields, self.prepare = name, fields, prepare
        self.description, self.envelope = description, envelope
        self._schema_of = schema_of  # a variant documented as another shape
        self._getters = tuple((name, field.getter()) for name, field in fields.items())
        self._optional = any(not field.required for field in fields.values())

    def build(self, *args) -> dict:
        obj = self.prepare(*args) if self.prepare is not None else args[0]
        if self._optional:
            return {name: value for name, get in self._getters
                    if (value := get(obj)) is not OMIT}
        return {name: get(obj) for name, get in self._getters}

    def keys(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def extend(self, name: str, fields: dict[str, Field] | None = None, *, drop=(),
               prepare=None) -> "Shape":
        """Another shape with this one's keys (less ``drop``), then ``fields``; a key
        of both keeps its place and takes the new field."""
        own = {key: field for key, field in self.fields.items() if key not in drop}
        return Shape(name, {**own, **(fields or {})}, prepare=prepare or self.prepare,
                     description=self.description)

    def variant(self, fields: dict[str, Field]) -> "Shape":
        """The same keys documented the same way, some read from elsewhere."""
        return Shape(self.name, {**self.fields, **fields}, prepare=self.prepare,
                     description=self.description, schema_of=self._schema_of or self)

    @functools.cached_property
    def serializer_class(self) -> type[serializers.Serializer]:
        if self._schema_of is not None:
            return self._schema_of.serializer_class
        fields = {name: field.schema_field() for name, field in self.fields.items()}
        serializer = type(self.name, (serializers.Serializer,),
                          {**fields, "__doc__": self.description or None})
        return extend_schema_serializer(many=False)(serializer) if self.envelope else serializer

    def schema(self, **kwargs) -> serializers.Serializer:
        """What ``extend_schema`` documents for this shape (``many=True``: a list)."""
        return self.serializer_class(**kwargs)

    @property
    def ref(self) -> dict:
        return {"$ref": f"#/components/schemas/{self.name}"}

