"""FilterSets of contacts: ``/v4/crm``, meetergo's ``/crm``, the workspace API and
the admin's contact list narrow contacts with the same filters
(``scheduling/core/api/filters.py`` says how a filter reads its parameter)."""

from rest_framework import serializers

from scheduling.core.api.filters import ApiFilter, ApiFilterSet, ListWidget

from . import selectors
from .selectors import SORT_FIELDS

SORT_ORDERS = ["ASC", "DESC", "asc", "desc"]


def _tags(keys: str | None = None):
    """Tag names, repeated or comma-separated (also under the names ``keys`` matches).
    One with a NUL character is refused, as every text field of a body refuses it:
    PostgreSQL would refuse it too, and SQLite would quietly search for it."""
    return ApiFilter(serializers.ListField(child=serializers.CharField()), method="tagged",
                     widget=ListWidget(keys=keys),
                     schema={"type": "array", "items": {"type": "string"}},
                     description="Contacts having any of these (repeat or comma-separate)")


def _sort_by(**kwargs):
    return ApiFilter(serializers.ChoiceField(choices=list(SORT_FIELDS)), method="unchanged",
                     schema={"type": "string", "enum": sorted(SORT_FIELDS)}, **kwargs)


def _sort_order(**kwargs):
    return ApiFilter(serializers.ChoiceField(choices=SORT_ORDERS), method="unchanged",
                     schema={"type": "string", "enum": ["ASC", "DESC"]}, **kwargs)


class ContactFilterSet(ApiFilterSet):
    """``GET /v4/crm``: contacts whose name, email or phone holds ``searchTerm``, having
    any of ``tags``, of one account owner, sorted (newest first unless asked)."""

    searchTerm = ApiFilter(serializers.CharField(allow_blank=True, max_length=200),
                           method="matching", description="Substring of name, email or phone")
    tags = _tags()
    ownerId = ApiFilter(serializers.UUIDField(), method="owned_by",
                        description="Account owner's user id")
    sortBy = _sort_by()
    sortOrder = _sort_order()

    def filter_queryset(self, queryset):
        return selectors.sorted_filter(super().filter_queryset(queryset),
                                       sort_by=self.value("sortBy") or "createdAt",
                                       sort_order=self.value("sortOrder") or "DESC")

    def matching(self, queryset, name, value):
        return selectors.search_filter(queryset, value)

    def tagged(self, queryset, name, value):
        return selectors.tagged_filter(queryset, value)

    def owned_by(self, queryset, name, value):
        return selectors.owned_filter(queryset, value)

    def unchanged(self, queryset, name, value):
        return queryset  # sorting, which filter_queryset does last


class MeetergoContactFilterSet(ContactFilterSet):
    """meetergo's ``GET /crm``: the same filters, ``tags`` also as ``tags[]`` (axios)
    and ``tags[0]`` (qs), and any other parameter but ``page`` and ``limit`` refused;
    a parameter sent empty is read too (an empty ``sortBy`` is not a choice)."""

    strict = True
    also_known = frozenset({"page", "limit"})

    tags = _tags(keys=r"tags(\[\d*\])?")
    ownerId = ApiFilter(serializers.UUIDField(), method="owned_by", blank_is_value=True,
                        description="Account owner's user id")
    sortBy = _sort_by(blank_is_value=True)
    sortOrder = _sort_order(blank_is_value=True)


class WorkspaceContactFilterSet(ApiFilterSet):
    """The workspace API's contacts whose name, email or phone holds ``search``."""

    search = ApiFilter(serializers.CharField(allow_blank=True, max_length=200),
                       method="matching", description="Name or email substring")

    def matching(self, queryset, name, value):
        return selectors.search_filter(queryset, value)

