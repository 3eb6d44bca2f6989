"""Answer shapes (scheduling/core/api/shapes.py): one declaration makes the answer and
documents it."""

import datetime as dt
import uuid
from types import SimpleNamespace

from scheduling.core.api.shapes import OMIT, Instant, ListOf, One, Shape, Text, Uuid

AUTHOR = Shape("TestAuthor", {"id": Uuid("uuid"), "name": Text("name")})
NOTE = Shape("TestNote", {
    "id": Uuid("uuid"),
    "title": Text(lambda note: note.title or None, null=True),
    "author": One(AUTHOR, "author", null=True),
    "tags": ListOf(Text, "tags"),
    "at": Instant("at"),
    "draft": Text(lambda note: "yes" if note.draft else OMIT, required=False),
})


def _note(**changes):
    values = {"uuid": uuid.UUID(int=1), "title": "", "author": None, "tags": ("a", "b"),
              "at": dt.datetime(2024, 1, 15, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))),
              "draft": False}
    return SimpleNamespace(**{**values, **changes})


def test_an_answer_has_the_declared_keys_in_order_with_values_converted():
    body = NOTE.build(_note())
    assert body == {"id": "00000000-0000-0000-0000-000000000001", "title": None,
                    "author": None, "tags": ["a", "b"], "at": "2024-01-15T08:00:00+00:00"}
    assert list(body) == ["id", "title", "author", "tags", "at"]


def test_a_key_that_may_be_missing_is_left_out_or_given():
    assert NOTE.build(_note(draft=True))["draft"] == "yes"


def test_a_nested_shape_is_built_from_the_object_its_source_gives():
    author = SimpleNamespace(uuid=uuid.UUID(int=2), name="Ada")
    assert NOTE.build(_note(author=author))["author"] == {
        "id": "00000000-0000-0000-0000-000000000002", "name": "Ada"}


def test_the_schema_names_every_key_and_what_it_may_be():
    fields = NOTE.schema().fields
    assert list(fields) == ["id", "title", "author", "tags", "at", "draft"]
    assert fields["title"].allow_null and not fields["draft"].required


def test_a_variant_reads_elsewhere_and_is_documented_as_the_same_shape():
    anonymous = AUTHOR.variant({"name": Text(lambda author: "someone")})
    author = SimpleNamespace(uuid=uuid.UUID(int=2), name="Ada")
    assert anonymous.build(author)["name"] == "someone"
    assert anonymous.serializer_class is AUTHOR.serializer_class
